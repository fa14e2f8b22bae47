"""Schemas of the resources API: create, update (partial), public shape, page."""

import marshmallow as ma
from flask_marshmallow.sqla import SQLAlchemyAutoSchema
from marshmallow import validate

from ...models import Resource

# Pages are small enough to answer quickly and large enough for a UI table; a page_size
# above the maximum is refused (422) rather than silently clamped, so clients notice.
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100

_name = validate.And(validate.Length(min=1, max=100), validate.Regexp(r"^\S(.*\S)?$"))


class ResourceCreateSchema(ma.Schema):
    name = ma.fields.String(
        required=True,
        validate=_name,
        metadata={"description": "Unique name, without leading or trailing spaces"},
    )
    description = ma.fields.String(validate=validate.Length(max=1000), load_default="")


class ResourceUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=_name)
    description = ma.fields.String(validate=validate.Length(max=1000))


class ResourceSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = Resource


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = ma.fields.Integer(
        load_default=PAGE_SIZE_DEFAULT, validate=validate.Range(min=1, max=PAGE_SIZE_MAX)
    )


class ResourcePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ResourceSchema))
    total = ma.fields.Integer(metadata={"description": "Number of resources in all pages"})
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    pages = ma.fields.Integer(metadata={"description": "Number of pages"})
