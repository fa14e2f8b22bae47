"""Resources API, version 1."""

from typing import Any

from flask import url_for
from flask.views import MethodView
from sqlalchemy import select
from werkzeug.exceptions import Conflict, Forbidden, NotFound

from ...auth import current_identity, require_scopes
from ...extensions import db
from ...models import Resource
from ...openapi import Blueprint
from ..idempotency import idempotent
from ..pagination import LINK_HEADER, Listing, Page
from .schemas import (
    ResourceCreateSchema,
    ResourcePageSchema,
    ResourceSchema,
    ResourceUpdateSchema,
)

READ = "resources:read"
WRITE = "resources:write"
# Ids are 32-bit on PostgreSQL and MySQL; a larger one in the URL matches no route: 404.
ID_MAX = 2**31 - 1

# Oldest first unless a client sorts otherwise; each order has its index (migration 0007).
LISTING = Listing(
    select(Resource), created_at=(Resource.created_at, Resource.id), name=(Resource.name,)
)

blp = Blueprint(
    "resources_v1",
    __name__,
    url_prefix="/api/resources/v1",
    description="A sample resource with create, read, update and delete.",
)


def get_or_404(resource_id: int) -> Resource:
    """Return the resource or answer 404."""
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(f"Resource {resource_id} does not exist.")
    return resource


def get_owned_or_404(resource_id: int) -> Resource:
    """Return the resource if the caller owns it (or nobody does); 404 or 403 otherwise."""
    resource = get_or_404(resource_id)
    if resource.owner is not None and resource.owner != current_identity().subject:
        raise Forbidden("Only the owner of a resource may change or delete it.")
    return resource


def ensure_name_free(name: str, resource_id: int | None = None) -> None:
    """Answer 409 when another resource already has this name."""
    query = select(Resource.id).where(Resource.name == name, Resource.id != resource_id)
    if db.session.scalar(query) is not None:
        raise Conflict(f"A resource named {name!r} already exists.")


@blp.route("")
class Resources(MethodView):
    @require_scopes(READ)
    @blp.arguments(LISTING.args, location="query")
    @blp.response(200, ResourcePageSchema, headers=LINK_HEADER)
    @blp.problems(503)
    def get(self, args: dict[str, Any]) -> tuple[Page, dict[str, str]]:
        """List resources a page at a time; follow `next` for the rest."""
        return LISTING(args)

    @require_scopes(WRITE)
    @idempotent(blp)
    @blp.arguments(ResourceCreateSchema)
    @blp.response(201, ResourceSchema)
    @blp.problems(409, 503)
    def post(self, data: dict[str, Any]) -> tuple[Resource, dict[str, str]]:
        """Create a resource owned by the caller."""
        ensure_name_free(data["name"])
        resource = Resource(**data, owner=current_identity().subject or None)
        db.session.add(resource)
        db.session.commit()
        location = url_for("resources_v1.ResourceItem", resource_id=resource.id)
        return resource, {"Location": location}


@blp.route(f"/<int(min=1, max={ID_MAX}):resource_id>")
class ResourceItem(MethodView):
    """One resource. Writes need the ETag of a GET in If-Match: no update is lost unseen."""

    @require_scopes(READ)
    @blp.etag
    @blp.response(200, ResourceSchema)
    @blp.problems(404, 503)
    def get(self, resource_id: int) -> Resource:
        """Get a resource."""
        return get_or_404(resource_id)

    @require_scopes(WRITE)
    @blp.etag
    @blp.arguments(ResourceCreateSchema)
    @blp.response(200, ResourceSchema)
    @blp.problems(404, 409, 503)
    def put(self, data: dict[str, Any], resource_id: int) -> Resource:
        """Replace a resource the caller owns."""
        resource = get_owned_or_404(resource_id)
        blp.check_etag(resource, ResourceSchema)
        ensure_name_free(data["name"], resource_id)
        resource.name = data["name"]
        resource.description = data["description"]
        db.session.commit()
        return resource

    @require_scopes(WRITE)
    @blp.etag
    @blp.arguments(ResourceUpdateSchema)
    @blp.response(200, ResourceSchema)
    @blp.problems(404, 409, 503)
    def patch(self, data: dict[str, Any], resource_id: int) -> Resource:
        """Update some fields of a resource the caller owns."""
        resource = get_owned_or_404(resource_id)
        blp.check_etag(resource, ResourceSchema)
        if "name" in data:
            ensure_name_free(data["name"], resource_id)
        for field, value in data.items():
            setattr(resource, field, value)
        db.session.commit()
        return resource

    @require_scopes(WRITE)
    @blp.etag
    @blp.response(204)
    @blp.problems(404, 503)
    def delete(self, resource_id: int) -> None:
        """Delete a resource the caller owns."""
        resource = get_owned_or_404(resource_id)
        blp.check_etag(resource, ResourceSchema)
        db.session.delete(resource)
        db.session.commit()
