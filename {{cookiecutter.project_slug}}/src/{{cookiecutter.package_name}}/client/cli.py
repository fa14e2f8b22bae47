"""The commands: greeting and resources for everyone, and the auth backend's login commands."""

import json
import os
import sys
from collections.abc import Sequence

import click

from . import {{ cookiecutter.auth }} as backend
from .http import Api, ClientError, emit

PROG = "{{ cookiecutter.project_slug }}-client"
DEFAULT_URL = "http://127.0.0.1:8000"
RESOURCES = "/api/resources/v1"
ID = click.IntRange(min=1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    default=lambda: os.environ.get("API_URL", DEFAULT_URL),
    show_default=f"API_URL, else {DEFAULT_URL}",
    help="Base URL of the API.",
)
@click.pass_context
def cli(ctx: click.Context, url: str) -> None:
    """Call {{ cookiecutter.project_name }} over HTTP; answers are printed as JSON."""
    ctx.obj = Api(url, backend.stored_login(url.rstrip("/")))


@cli.command()
@click.option("--version", "version", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--name", help="Whom to greet (versions 1 and 2).")
@click.pass_obj
def greeting(api: Api, version: int, name: str | None) -> None:
    """Get a greeting from /api/greeting/vN."""
    params = {"name": name} if name is not None else {}
    emit(api.call("GET", f"/api/greeting/v{version}", params=params)[0])


@cli.group()
def resources() -> None:
    """List, get, create, update and delete resources."""


@resources.command("list")
@click.option("--page-size", type=ID, help="Items per page (server default: 20, at most 100).")
@click.option("--sort", help="created_at (the default: oldest first) or name; -name reverses.")
@click.option("--cursor", help="Continue after the page whose `next` this is.")
@click.option("--page", type=ID, help="The page-th page, within the first 10 000 items.")
@click.option("--count", is_flag=True, help="Also count every item (total): reads every row.")
@click.option(
    "--all", "every", is_flag=True, help="Follow `next` to the end: one item per line (JSON)."
)
@click.pass_obj
def list_resources(
    api: Api,
    page_size: int | None,
    sort: str | None,
    cursor: str | None,
    page: int | None,
    count: bool,
    every: bool,
) -> None:
    """Print one page of resources, or with --all every resource, streamed page by page."""
    options = [("page_size", page_size), ("sort", sort), ("cursor", cursor), ("page", page)]
    params = {name: value for name, value in options if value is not None}
    if count:
        params["count"] = "true"
    body = api.call("GET", RESOURCES, params=params)[0]
    if not every:
        emit(body)
        return
    while True:
        for item in body["items"]:
            click.echo(json.dumps(item, ensure_ascii=False))
        if body["next"] is None:
            return
        # The rest by cursor: no offset, and nothing counted again.
        params = {key: value for key, value in params.items() if key in {"page_size", "sort"}}
        body = api.call("GET", RESOURCES, params={**params, "cursor": body["next"]})[0]


@resources.command("get")
@click.argument("resource_id", metavar="ID", type=ID)
@click.pass_obj
def get_resource(api: Api, resource_id: int) -> None:
    """Print one resource."""
    emit(api.call("GET", f"{RESOURCES}/{resource_id}")[0])


@resources.command("create")
@click.option("--name", required=True, help="A name no other resource has.")
@click.option("--description", help="Free text.")
@click.pass_obj
def create_resource(api: Api, name: str, description: str | None) -> None:
    """Create a resource and print it."""
    body = {"name": name} | ({"description": description} if description is not None else {})
    emit(api.create(RESOURCES, body))


@resources.command("update")
@click.argument("resource_id", metavar="ID", type=ID)
@click.option("--name", help="The new name.")
@click.option("--description", help="The new description.")
@click.pass_obj
def update_resource(api: Api, resource_id: int, name: str | None, description: str | None) -> None:
    """Change a resource's name or description and print it.

    It reads the resource first and sends its ETag in If-Match: if someone changed it meanwhile,
    the API answers 412 and nothing is overwritten.
    """
    changes = {key: value for key, value in [("name", name), ("description", description)]}
    changes = {key: value for key, value in changes.items() if value is not None}
    if not changes:
        raise click.UsageError("Nothing to change: give --name or --description.")
    url = f"{RESOURCES}/{resource_id}"
    emit(api.call("PATCH", url, json=changes, headers={"If-Match": etag(api, url)})[0])


@resources.command("delete")
@click.argument("resource_id", metavar="ID", type=ID)
@click.pass_obj
def delete_resource(api: Api, resource_id: int) -> None:
    """Delete a resource (read first, for its ETag, like update)."""
    url = f"{RESOURCES}/{resource_id}"
    api.call("DELETE", url, headers={"If-Match": etag(api, url)})


def etag(api: Api, url: str) -> str:
    """The ETag of a GET: the version a conditional write (If-Match) applies to."""
    tag = api.call("GET", url)[1].headers.get("ETag")
    if not tag:
        raise ClientError(f"GET {url} answered no ETag; a conditional write needs one")
    return tag


for command in backend.COMMANDS:
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; even a bug in the client ends in one line, not a traceback."""
    try:
        cli.main(args=argv, prog_name=PROG)
    except Exception as error:  # noqa: BLE001 - the promise is one line on stderr, always
        click.echo(f"error: unexpected {error.__class__.__name__}: {error}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
