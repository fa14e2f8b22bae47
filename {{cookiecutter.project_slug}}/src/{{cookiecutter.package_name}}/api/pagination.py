"""Lists one page at a time, by keyset: the query arguments, the page, its schema and its Link
header, shared by every list route. A list declares its orders (Listing); this module does the
rest, with the keys and cursors of keyset.py.

A page continues after the last row of the one before, `WHERE (key, id) > (its key, its id)` on
an index, never OFFSET: page 50 000 costs what page 1 does, and rows inserted or deleted while a
client walks the list neither repeat nor hide the rows that stayed. The answer's `next` (and its
`Link: <...>; rel="next"`, RFC 8288) is that row's key signed with the app's SECRET_KEY: opaque,
and a forged or damaged one is refused (422) rather than read.

Nothing counts the whole table unless asked (`count=true`): a count reads every row. The offset
form (`page=N`) stays for UIs that jump to a page, up to PAGE_MAX: past that a client follows
`next`. A page_size above the maximum is refused (422) rather than clamped, so clients
notice.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict
from urllib.parse import quote, urlencode

import marshmallow as ma
from flask import current_app, request
from itsdangerous import BadData
from marshmallow import validate
from sqlalchemy import ColumnElement, Select, bindparam, func, select

from ..extensions import db
from .items import Items
from .keyset import Column, Order, keyset_form, signer

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
# The last page of the offset form: a page reads and discards every row before it, so none
# starts past row (PAGE_MAX - 1) * PAGE_SIZE_MAX (9 900). A bound on page alone, so the spec
# shows it.
PAGE_MAX = 100
DESCENDING = "-"
# What a path keeps unquoted in a URL (werkzeug's choice for request.base_url).
PATH_SAFE = "!$&'()*+,/:;=@%"

LINK_HEADER = {
    "Link": {
        "description": 'The next page, `<URL>; rel="next"` (RFC 8288); absent on the last page.',
        "schema": {"type": "string"},
    }
}


class Page(TypedDict):
    """One page of a list, as page_schema() shows it."""

    items: Sequence[Any]
    page_size: int
    next: str | None
    total: NotRequired[int]
    page: NotRequired[int]


def page_schema(item: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of item, named after it (ResourceSchema: ResourcePageSchema)."""
    fields: dict[str, ma.fields.Field[Any]] = {
        # Always present (required), so a client generated from the spec types them plainly.
        "items": Items(item, required=True),
        "page_size": ma.fields.Integer(required=True),
        "next": ma.fields.String(
            required=True,
            allow_none=True,
            metadata={"description": "Pass as `cursor` for the next page; null on the last."},
        ),
        "total": ma.fields.Integer(
            metadata={"description": "Number of items in all pages; only with `count=true`."}
        ),
        "page": ma.fields.Integer(metadata={"description": "Only in the offset form."}),
    }
    return ma.Schema.from_dict(fields, name=item.__name__.replace("Schema", "PageSchema"))


@dataclass(frozen=True)
class Filter:
    """A query argument that narrows a list: its field, and the condition a value makes."""

    field: ma.fields.Field[Any]
    where: Callable[[Any], ColumnElement[bool]]


class Listing:
    """A query listed one page at a time, in one of the orders it declares by keyword:
    `Listing(select(Resource), created_at=(Resource.created_at, Resource.id))` lists by
    created_at, the id breaking ties; `sort=created_at` (the first order, the default) or
    `sort=-created_at` (descending). `args` is the schema of its query arguments, with the
    `filters` it declares (`active=Filter(Boolean(), lambda v: User.active == v)`).

    Its statements are built once, so each request only binds its page's values and SQLAlchemy
    reuses the compiled SQL (a filter's condition compiles the same for every value).
    """

    def __init__(
        self,
        query: Select[Any],
        *,
        filters: Mapping[str, Filter] | None = None,
        **orders: Sequence[Column],
    ) -> None:
        self.filters = dict(filters or {})
        self.orders = {
            prefix + name: Order(prefix + name, columns, descending=bool(prefix))
            for name, columns in orders.items()
            for prefix in ("", DESCENDING)
        }
        self.default = next(iter(self.orders))
        self._first = {name: self._page(query, o) for name, o in self.orders.items()}
        self._next = {
            (name, form): self._page(query.where(after), order)
            for name, order in self.orders.items()
            for form, after in order.after.items()
        }
        self._skip = {
            name: statement.offset(bindparam("skip")) for name, statement in self._first.items()
        }
        self._query = query
        self.args = page_args_schema(self)

    @staticmethod
    def _page(query: Select[Any], order: Order) -> Select[Any]:
        # One row more than the page: if it comes, there is a next page.
        return query.order_by(*order.by).limit(bindparam("size"))

    def __call__(self, args: Mapping[str, Any]) -> tuple[Page, dict[str, str]]:
        """The page the args name (the schema in `args` loaded them) and its Link header."""
        size = args["page_size"]
        order = self.orders[args["sort"]]
        params: dict[str, Any] = {"size": size + 1}
        if "cursor" in args:
            statement = self._next[order.name, keyset_form(db.engine.dialect.name)]
            params |= args["cursor"]
        elif "page" in args:
            statement = self._skip[order.name]
            params["skip"] = (args["page"] - 1) * size
        else:
            statement = self._first[order.name]
        conditions = [f.where(args[name]) for name, f in self.filters.items() if name in args]
        if conditions:  # else the statement as built: SQLAlchemy knows its cache key already
            statement = statement.where(*conditions)
        rows = db.session.scalars(statement, params).all()
        items = rows[:size]
        cursor = self.cursor(order, items[-1]) if len(rows) > size else None
        page = Page(items=items, page_size=size, next=cursor)
        if "page" in args:
            page["page"] = args["page"]
        if args["count"]:
            counted = self._query.where(*conditions).order_by(None).subquery()
            page["total"] = db.session.scalar(select(func.count()).select_from(counted)) or 0
        return page, ({"Link": _link(cursor)} if cursor else {})

    def cursor(self, order: Order, row: Any) -> str:
        """The opaque cursor of the page after row."""
        secret: str = current_app.config["SECRET_KEY"]
        return signer(secret).dumps([order.name, *order.key(row)])

    def read_cursor(self, cursor: str) -> tuple[Order, dict[str, Any]]:
        """The order and statement parameters a cursor names; ValidationError if it is not ours."""
        secret: str = current_app.config["SECRET_KEY"]
        try:
            name, *key = signer(secret).loads(cursor)
            order = self.orders[name]
            return order, order.bind(key)
        except (BadData, KeyError, TypeError, ValueError):
            message = "Not a cursor of this list: pass the `next` of a page as it was given."
            raise ma.ValidationError(message, "cursor") from None


def _link(cursor: str) -> str:
    """The Link header to the page after this one, with the request's other arguments."""
    served = request._get_current_object()  # type: ignore[attr-defined]
    args = {key: value for key, value in served.args.items() if key not in {"cursor", "page"}}
    # The same route, so its URL is this request's: request.base_url, but quoted (a header
    # carries a URI) without werkzeug's round trip through an IRI, which took 14 of its 16 µs.
    path = quote(served.root_path.rstrip("/") + served.path, safe=PATH_SAFE)
    query = urlencode({**args, "cursor": cursor})
    return f'<{served.scheme}://{served.host}{path}?{query}>; rel="next"'


def page_args_schema(listing: Listing) -> ma.Schema:
    """The query arguments of a listing: where to start, how many, in which order, counted,
    and its filters."""

    class PageArgsSchema(ma.Schema):
        cursor = ma.fields.String(
            metadata={"description": "Continue after the page whose `next` this is."}
        )
        page_size = ma.fields.Integer(
            load_default=PAGE_SIZE_DEFAULT, validate=validate.Range(min=1, max=PAGE_SIZE_MAX)
        )
        sort = ma.fields.String(
            validate=validate.OneOf(list(listing.orders)),
            metadata={
                "description": f"Order of the items (default `{listing.default}`); "
                "`-` before a name reverses it. A cursor keeps the order it was made in."
            },
        )
        count = ma.fields.Boolean(
            load_default=False,
            metadata={
                "description": "Also answer `total`, the number of items in all pages. It reads"
                " the whole table, so its cost grows with the table: ask only when needed."
            },
        )
        page = ma.fields.Integer(
            validate=validate.Range(
                min=1,
                max=PAGE_MAX,
                error="Offset pages go from {min} to {max}: walk further with cursor=, the "
                "`next` of each page.",
            ),
            metadata={"description": "Offset form: the page-th page of page_size items."},
        )

        @ma.validates_schema
        def one_start(self, data: dict[str, Any], **_kwargs: Any) -> None:
            if "cursor" in data and "page" in data:
                raise ma.ValidationError("Give cursor or page, not both.", "page")

        @ma.post_load
        def start(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
            """Read the cursor into its order and key; a sort that differs is an error."""
            if "cursor" in data:
                order, data["cursor"] = listing.read_cursor(data["cursor"])
                if data.setdefault("sort", order.name) != order.name:
                    message = f"This cursor continues the list sorted by {order.name}."
                    raise ma.ValidationError(message, "sort")
            data.setdefault("sort", listing.default)
            return data

    if not listing.filters:
        return PageArgsSchema()
    fields = {name: f.field for name, f in listing.filters.items()}
    return PageArgsSchema.from_dict(fields, name="PageArgsSchema")()
