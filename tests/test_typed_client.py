"""A typed client generated from a project's /openapi.json walks a list by following `next`,
and, with auth=token, manages users and personal access tokens.

openapi-python-client is what a user of the API would reach for; its output is type-checked
against a script that uses it (so `next` must be typed `str | None`, not a maybe-unset value),
then the script runs against the app over httpx's WSGI transport.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bakery import bake
from tests.projects import PYTHON, project_env, run

NAMES = ["kiwi", "apple", "mango", "cherry", "banana", "lime", "fig"]

SPEC = """
import json, sys
from my_flask_api.app import create_app
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
json.dump(app.test_client().get("/openapi.json").get_json(), open(sys.argv[1], "w"))
"""

WALK = """
import json
import sys

import httpx
from flask_migrate import upgrade

from my_flask_api.app import create_app
from my_flask_api_client import Client
from my_flask_api_client.api.resources_v1 import get_api_resources_v1, post_api_resources_v1
from my_flask_api_client.models import GetApiResourcesV1Sort, ResourceCreate, ResourcePage

app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1]})
with app.app_context():
    upgrade()
transport = httpx.WSGITransport(app=app)
client = Client(base_url="http://localhost", httpx_args={"transport": transport})
for name in json.loads(sys.argv[2]):
    post_api_resources_v1.sync(client=client, body=ResourceCreate(name=name))

names: list[str] = []
cursor: str | None = None
while True:
    if cursor is None:
        page = get_api_resources_v1.sync(
            client=client, page_size=3, sort=GetApiResourcesV1Sort.NAME
        )
    else:
        page = get_api_resources_v1.sync(client=client, page_size=3, cursor=cursor)
    assert isinstance(page, ResourcePage), page
    names += [item.name for item in page.items if isinstance(item.name, str)]
    cursor = page.next_
    if cursor is None:
        break
print(json.dumps(names))
"""


ACCOUNTS = """
import json
import sys

import httpx
from flask_migrate import upgrade

from my_flask_api.app import create_app
from my_flask_api.auth.token import accounts
from my_flask_api_client import AuthenticatedClient, Client
from my_flask_api_client.api.auth_v1 import post_api_auth_v1_login
from my_flask_api_client.api.resources_v1 import get_api_resources_v1
from my_flask_api_client.api.tokens_v1 import (
    delete_api_auth_v1_tokens_pat_id,
    get_api_auth_v1_tokens,
    post_api_auth_v1_tokens,
)
from my_flask_api_client.api.users_v1 import (
    get_api_users_v1,
    get_api_users_v1_user_id,
    patch_api_users_v1_user_id,
    post_api_users_v1,
)
from my_flask_api_client.models import (
    Login,
    PatCreate,
    PatCreated,
    ResourcePage,
    Token,
    User,
    UserCreate,
    UserPage,
    UserUpdate,
)

PASSWORD = "Correct-Horse-7-battery"
database = "sqlite:///" + sys.argv[1]
config = {"DATABASE_URL": database, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 64}
app = create_app({"TESTING": True, **config})
with app.app_context():
    upgrade()
    accounts.create_user("root", PASSWORD, ["users:admin", "resources:read"])
transport = httpx.WSGITransport(app=app)
base, args = "http://localhost", {"transport": transport}
anonymous = Client(base_url=base, httpx_args=args)
login = post_api_auth_v1_login.sync(client=anonymous, body=Login("root", PASSWORD))
assert isinstance(login, Token), login
admin = AuthenticatedClient(base_url=base, token=login.access_token, httpx_args=args)

made = post_api_users_v1.sync(
    client=admin, body=UserCreate(username="dana", password=PASSWORD, scopes=["resources:read"])
)
assert isinstance(made, User), made
etag = get_api_users_v1_user_id.sync_detailed(made.id, client=admin).headers["ETag"]
update = UserUpdate(email="dana@example.org", active=False)
changed = patch_api_users_v1_user_id.sync(made.id, client=admin, body=update, if_match=etag)
assert isinstance(changed, User), changed
page = get_api_users_v1.sync(client=admin, active=False, username_prefix="da")
assert isinstance(page, UserPage), page

pat = post_api_auth_v1_tokens.sync(
    client=admin, body=PatCreate(name="nightly", scopes=["resources:read"])
)
assert isinstance(pat, PatCreated), pat
machine = AuthenticatedClient(base_url=base, token=pat.token, httpx_args=args)
assert isinstance(get_api_resources_v1.sync(client=machine), ResourcePage)
listed = get_api_auth_v1_tokens.sync(client=admin)
assert isinstance(listed, list), listed
delete_api_auth_v1_tokens_pat_id.sync_detailed(pat.id, client=admin)
refused = get_api_resources_v1.sync_detailed(client=machine).status_code
print(json.dumps({
    "disabled": [user.username for user in page.items],
    "email": changed.email,
    "tokens": [(item.name, item.last_used_at is not None) for item in listed],
    "after_revoking": refused,
}))
"""


def generate_client(project: Path, tmp_path: Path, env: dict[str, str]) -> None:
    """Generate the project's client from its spec, importable and type-checkable by env."""
    spec, generated = tmp_path / "openapi.json", tmp_path / "client"
    run([PYTHON, "-c", SPEC, str(spec)], project, env)
    generator = Path(PYTHON).parent / "openapi-python-client"
    run([str(generator), "generate", "--path", str(spec), "--meta", "none"], tmp_path, env)
    generated.mkdir()
    (tmp_path / "my_flask_api_client").rename(generated / "my_flask_api_client")
    env["PYTHONPATH"] += f":{generated}"
    env["MYPYPATH"] = env["PYTHONPATH"]


def type_check(script: Path, project: Path, env: dict[str, str]) -> None:
    strict = ["--strict", "--no-incremental", "--follow-imports=silent"]
    run([PYTHON, "-m", "mypy", *strict, str(script)], project, env)


@pytest.mark.cost(4)
def test_a_generated_client_manages_users_and_tokens(tmp_path: Path, cookies: Any) -> None:
    """An admin creates and disables a user, and makes a personal access token that a second
    client then calls with, until it is revoked: the generated types fit each answer."""
    project = bake(cookies, {"auth": "token"})
    env = project_env(project, None)
    generate_client(project, tmp_path, env)
    script = tmp_path / "accounts.py"
    script.write_text(ACCOUNTS)
    type_check(script, project, env)
    output = run([PYTHON, str(script), str(tmp_path / "db.sqlite3")], project, env)
    assert json.loads(output) == {
        "disabled": ["dana"],
        "email": "dana@example.org",
        "tokens": [["nightly", True]],
        "after_revoking": 401,
    }


@pytest.mark.cost(4)
def test_a_generated_client_walks_a_list_by_next(tmp_path: Path, cookies: Any) -> None:
    """The generated client's page has a typed `next_`; following it lists every item once."""
    project = bake(cookies, {"auth": "none"})
    env = project_env(project, None)
    generate_client(project, tmp_path, env)
    script = tmp_path / "walk.py"
    script.write_text(WALK)
    type_check(script, project, env)
    output = run(
        [PYTHON, str(script), str(tmp_path / "db.sqlite3"), json.dumps(NAMES)], project, env
    )
    assert json.loads(output) == sorted(NAMES)
