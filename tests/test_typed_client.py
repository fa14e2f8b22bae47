"""A typed client generated from a project's /openapi.json walks a list by following `next`.

openapi-python-client is what a user of the API would reach for; its output is type-checked
against a script that walks the list (so `next` must be typed `str | None`, not a maybe-unset
value), then the script runs against the app over httpx's WSGI transport.
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


@pytest.mark.cost(4)
def test_a_generated_client_walks_a_list_by_next(tmp_path: Path, cookies: Any) -> None:
    """The generated client's page has a typed `next_`; following it lists every item once."""
    project = bake(cookies, {"auth": "none"})
    env = project_env(project, None)
    spec, generated = tmp_path / "openapi.json", tmp_path / "client"
    run([PYTHON, "-c", SPEC, str(spec)], project, env)
    generator = Path(PYTHON).parent / "openapi-python-client"
    run([str(generator), "generate", "--path", str(spec), "--meta", "none"], tmp_path, env)
    generated.mkdir()
    (tmp_path / "my_flask_api_client").rename(generated / "my_flask_api_client")
    script = tmp_path / "walk.py"
    script.write_text(WALK)
    env["PYTHONPATH"] += f":{generated}"
    env["MYPYPATH"] = env["PYTHONPATH"]
    run(
        [
            PYTHON,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            str(script),
        ],
        project,
        env,
    )
    output = run(
        [PYTHON, str(script), str(tmp_path / "db.sqlite3"), json.dumps(NAMES)], project, env
    )
    assert json.loads(output) == sorted(NAMES)
