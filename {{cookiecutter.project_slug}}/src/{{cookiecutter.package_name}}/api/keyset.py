"""Keyset paging's parts: an order's key columns, the SQL for "the rows after this key" in the
form each database reads as a range of the order's index, and the signed cursor that carries a
key from one page to the next (api/pagination.py puts them together)."""

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from itsdangerous import Signer
from itsdangerous.encoding import base64_decode, base64_encode
from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, or_, tuple_
from sqlalchemy.orm import InstrumentedAttribute

# The two forms of a keyset condition (keyset_form).
ROW_VALUES, EXPANDED = "row values", "expanded"

Column = InstrumentedAttribute[Any]


class Order:
    """One order of a list: its key columns, the last one unique (the tie-breaker), none null."""

    def __init__(self, name: str, columns: Sequence[Column], descending: bool) -> None:
        self.name, self.columns = name, tuple(columns)
        self.keys = [bindparam(f"key{n}", type_=c.type) for n, c in enumerate(self.columns)]
        self.kinds = [column.type.python_type for column in self.columns]
        self.by = [column.desc() if descending else column.asc() for column in self.columns]
        # The rows after a key, in the form each database reads as one range of the order's index.
        row, key = tuple_(*self.columns), tuple_(*self.keys)
        self.after = {
            ROW_VALUES: row < key if descending else row > key,
            EXPANDED: _expanded(self.columns, self.keys, descending),
        }

    def key(self, row: Any) -> list[Any]:
        """The row's key, as a cursor holds it (JSON: a moment in ISO 8601)."""
        values = [getattr(row, column.key) for column in self.columns]
        return [v.isoformat() if isinstance(v, datetime) else v for v in values]

    def bind(self, key: list[Any]) -> dict[str, Any]:
        """The statement's parameters for a cursor's key; ValueError if it does not fit."""
        pairs = zip(self.keys, self.kinds, key, strict=True)
        return {param.key: _typed(kind, value) for param, kind, value in pairs}


def _expanded(
    columns: Sequence[Column], keys: Sequence[BindParameter[Any]], descending: bool
) -> ColumnElement[bool]:
    """(a, b) > (x, y) written out: a > x OR (a = x AND b > y), and so on for more columns."""
    first, *rest = columns
    beyond = first < keys[0] if descending else first > keys[0]
    if not rest:
        return beyond
    return or_(beyond, and_(first == keys[0], _expanded(rest, keys[1:], descending)))


def keyset_form(dialect: str) -> str:
    """Which form of "after this key" the database turns into a range of the index on the key.

    PostgreSQL and SQLite do for the row comparison (a, b) > (x, y), and PostgreSQL does not for
    the expanded form; MariaDB and MySQL scan the whole index for the row comparison but do for
    the expanded one. (With 100 000 equal created_at values, the page after row 550 000 of a
    million took 0.23 ms against 4.5 ms on PostgreSQL, 0.49 ms against 3.9 ms on MariaDB, each
    in its form against a >= x AND (a > x OR b > y), which ranges over a alone.)
    """
    return EXPANDED if dialect in {"mysql", "mariadb"} else ROW_VALUES


def _typed(kind: type, value: Any) -> Any:
    """A cursor's JSON value as the column's Python type; ValueError if it is not one."""
    if kind is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if type(value) is not kind:  # bool is not an int here
        raise ValueError(f"{value!r} is not a {kind.__name__}")
    return value


class CursorSigner:
    """Signs and reads the cursors of an app with one SECRET_KEY: base64url of the compact JSON
    of a key (orjson's), then itsdangerous' HMAC of it. The signing key is derived once, here:
    itsdangerous' serializers derive it again on every call, a third of what a cursor page adds
    to a page."""

    def __init__(self, secret: str) -> None:
        derived = Signer(secret, salt="pagination-cursor", key_derivation="hmac").derive_key()
        self._signer = Signer(derived, key_derivation="none")

    def dumps(self, payload: list[Any]) -> str:
        return self._signer.sign(base64_encode(orjson.dumps(payload))).decode()

    def loads(self, cursor: str) -> Any:
        """The payload; BadData if the cursor is not one this key signed, ValueError if it
        does not hold JSON."""
        return orjson.loads(base64_decode(self._signer.unsign(cursor)))


@cache
def signer(secret: str) -> CursorSigner:
    """The cursor signer of an app with this SECRET_KEY."""
    return CursorSigner(secret)
