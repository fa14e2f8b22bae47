"""A page's items come out as marshmallow would dump them, whichever path dumps them."""

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from {{ cookiecutter.package_name }}.api.items import Items, compile_row
from {{ cookiecutter.package_name }}.api.resources.schemas import ResourceSchema
from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import Resource


def items(schema: type[ma.Schema], rows: Any) -> Any:
    """The rows as a page's items field dumps them."""
    return Items(schema).serialize("items", {"items": rows})


RESOURCES = [("plain", ""), ("café ünïcode", "rocket \U0001f680"), ("long", "y" * 900)]


def test_resources_take_the_direct_path_and_dump_as_marshmallow(
    writer: FlaskClient, app: Flask
) -> None:
    """Rows read from the database, owned or not, in any script, dump as ResourceSchema does."""
    for name, description in RESOURCES:
        created = writer.post("/api/resources/v1", json={"name": name, "description": description})
        assert created.status_code == 201, created.get_json()
    with app.app_context():
        rows = db.session.scalars(select(Resource)).all()
        rows[0].owner = None
        assert compile_row(ResourceSchema()) is not None
        assert items(ResourceSchema, rows) == ResourceSchema(many=True).dump(rows)
        db.session.rollback()


class Kinds(ma.Schema):
    text = ma.fields.String()
    number = ma.fields.Integer()
    shown = ma.fields.Integer(as_string=True)
    flag = ma.fields.Boolean()
    moment = ma.fields.DateTime()
    day = ma.fields.Date()
    renamed = ma.fields.String(data_key="other", attribute="source")


@pytest.mark.parametrize(
    "values",
    [
        {"text": "a", "number": 1, "shown": 2, "flag": True, "moment": datetime.now(UTC)},
        {"text": 5, "number": "7", "shown": 3.0, "flag": "no", "moment": datetime(2025, 1, 2)},
        {"text": None, "number": None, "shown": None, "flag": None, "moment": None},
        {"text": "", "number": True, "shown": 0, "flag": 0, "moment": datetime.min},
    ],
    ids=["own-kinds", "converted", "nulls", "edges"],
)
def test_each_field_kind_dumps_as_marshmallow(values: dict[str, Any]) -> None:
    """A value of another type than its field's is converted as marshmallow converts it."""
    row = SimpleNamespace(**values, day=date(2025, 1, 2), source="renamed")
    assert compile_row(Kinds()) is not None
    assert items(Kinds, [row, row]) == Kinds(many=True).dump([row, row])


class Hooked(Kinds):
    @ma.post_dump
    def stamp(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return data | {"stamped": True}


class Computed(ma.Schema):
    text = ma.fields.String()
    length = ma.fields.Method("measure")

    def measure(self, row: Any) -> int:
        return len(row.text)


@pytest.mark.parametrize("schema", [Hooked, Computed], ids=["dump-hook", "method-field"])
def test_other_schemas_are_dumped_by_marshmallow(schema: type[ma.Schema]) -> None:
    """A dump hook or a field computed from the whole item leaves the dump to marshmallow."""
    row = SimpleNamespace(text="abc", number=1, shown=1, flag=0, moment=None, day=None, source="s")
    assert compile_row(schema()) is None
    dumped = items(schema, [row])
    assert dumped == schema(many=True).dump([row])
    assert dumped[0].get("stamped") is True or dumped[0].get("length") == 3


def test_items_that_are_mappings_or_lack_an_attribute_are_dumped_by_marshmallow() -> None:
    """A dict is read by key, and a missing attribute is left out, as marshmallow does."""
    mapping = {"text": "a", "number": 2, "source": "s"}
    partial = SimpleNamespace(text="b")
    for rows in ([mapping], [partial]):
        assert items(Kinds, rows) == Kinds(many=True).dump(rows)
    assert items(Kinds, [partial]) == [{"text": "b"}]
