"""Schemas of the resources API: create, update (partial), public shape, page."""

import marshmallow as ma
from flask_marshmallow.sqla import SQLAlchemyAutoSchema

from ...models import Resource
from ...validation import line, text
from ..pagination import page_schema


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


ResourcePageSchema = page_schema(ResourceSchema)
