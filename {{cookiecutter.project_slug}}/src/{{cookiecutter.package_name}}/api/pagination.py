"""Lists one page at a time: the query arguments, the page (Flask-SQLAlchemy's db.paginate) and
its schema, shared by every list route.

Pages are small enough to answer quickly and large enough for a UI table; a page_size above the
maximum is refused (422) rather than silently clamped, so clients notice.
"""

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask_sqlalchemy.pagination import Pagination
from marshmallow import validate
from sqlalchemy import Select

from ..extensions import db

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
# Far beyond any real table, and small enough that the offset fits every database's integer.
PAGE_MAX = 2**31 - 1


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=PAGE_MAX))
    page_size = ma.fields.Integer(
        load_default=PAGE_SIZE_DEFAULT, validate=validate.Range(min=1, max=PAGE_SIZE_MAX)
    )


def page_schema(item: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of item, named after it (ResourceSchema: ResourcePageSchema)."""
    fields: dict[str, ma.fields.Field[Any]] = {
        "items": ma.fields.Nested(item, many=True),
        "total": ma.fields.Integer(metadata={"description": "Number of items in all pages"}),
        "page": ma.fields.Integer(),
        "page_size": ma.fields.Integer(attribute="per_page"),
        "pages": ma.fields.Integer(metadata={"description": "Number of pages"}),
    }
    return ma.Schema.from_dict(fields, name=item.__name__.replace("Schema", "PageSchema"))


def paginate(query: Select[Any], args: Mapping[str, int]) -> Pagination:
    """The page args names (PageArgsSchema) of query's rows; past the last page, no items."""
    return db.paginate(query, page=args["page"], per_page=args["page_size"], error_out=False)
