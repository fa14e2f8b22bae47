"""Schemas of the resources API: create, update (partial), public shape, page."""

import marshmallow as ma
from flask_marshmallow.sqla import SQLAlchemyAutoSchema
from marshmallow import validate

from ...models import Resource
from ...validation import line, text

# Pages are small enough to answer quickly and large enough for a UI table; a page_size
# above the maximum is refused (422) rather than silently clamped, so clients notice.
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
# Far beyond any real table, and small enough that the offset fits every database's integer.
PAGE_MAX = 2**31 - 1


class ResourceCreateSchema(ma.Schema):
    name = ma.fields.String(
        required=True,
        validate=line(100),
        metadata={"description": "Unique name, without leading or trailing spaces"},
    )
    description = ma.fields.String(validate=text(1000), load_default="")


class ResourceUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=line(100))
    description = ma.fields.String(validate=text(1000))


class ResourceSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = Resource
        # The version only guards concurrent writes; clients see it as the ETag.
        exclude = ("version",)


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=PAGE_MAX))
    page_size = ma.fields.Integer(
        load_default=PAGE_SIZE_DEFAULT, validate=validate.Range(min=1, max=PAGE_SIZE_MAX)
    )


class ResourcePageSchema(ma.Schema):
    items = ma.fields.Nested(ResourceSchema, many=True)
    total = ma.fields.Integer(metadata={"description": "Number of resources in all pages"})
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    pages = ma.fields.Integer(metadata={"description": "Number of pages"})
