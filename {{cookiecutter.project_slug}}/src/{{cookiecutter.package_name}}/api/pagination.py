"""Lists one page at a time: the query arguments, the page and its schema, shared by every list
route.

Pages are small enough to answer quickly and large enough for a UI table; a page_size above the
maximum is refused (422) rather than silently clamped, so clients notice.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import Select, bindparam, func, select

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
        "page_size": ma.fields.Integer(),
        "pages": ma.fields.Integer(metadata={"description": "Number of pages"}),
    }
    return ma.Schema.from_dict(fields, name=item.__name__.replace("Schema", "PageSchema"))


@dataclass(frozen=True)
class Page:
    """One page of a list, as page_schema() shows it."""

    items: Sequence[Any]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.page_size)


class Paginated:
    """A query listed one page at a time. Its count and page statements are built once, so each
    request only binds its page's numbers and SQLAlchemy reuses the compiled SQL: a list costs
    the same as hand-written queries (db.paginate builds both statements anew each time)."""

    def __init__(self, query: Select[Any]) -> None:
        self._count = select(func.count()).select_from(query.order_by(None).subquery())
        self._page = query.limit(bindparam("size")).offset(bindparam("skip"))

    def __call__(self, args: Mapping[str, int]) -> Page:
        """The page args name (PageArgsSchema); past the last page, no items."""
        page, size = args["page"], args["page_size"]
        total = db.session.scalar(self._count) or 0
        items = db.session.scalars(self._page, {"size": size, "skip": (page - 1) * size}).all()
        return Page(items, total, page, size)
