"""JSON answers are written by orjson, as Flask's own JSON provider would write them."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider


@dataclass
class Point:
    x: int
    y: int


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": {"z": [1.5, None, True], "c": "é \U0001f680 \n \u2028"}},
        {2: "int keys", 1: "as marshmallow's errors have"},
        {"day": date(2025, 1, 2), "moment": datetime(2025, 1, 2, 3, 4, tzinfo=UTC)},
        {"point": Point(1, 2), "amount": Decimal("1.10"), "id": UUID(int=7)},
        {"beyond 64 bits": 2**70},
        {"lone surrogate": "\ud800"},
    ],
    ids=["nested", "int-keys", "dates", "dataclass-decimal-uuid", "big-int", "surrogate"],
)
def test_json_reads_back_as_flasks_own(app: Flask, value: Any) -> None:
    """Every value Flask's provider writes comes back the same, keys sorted as Flask sorts them."""
    ours = app.json.dumps(value)
    flasks = DefaultJSONProvider(app).dumps(value)
    assert json.loads(ours) == json.loads(flasks)
    assert list(json.loads(ours)) == list(json.loads(flasks))


def test_json_answers_are_compact_and_end_with_a_newline(app: Flask) -> None:
    """An answer's body is one compact line, as Flask writes it outside debug mode."""
    with app.test_request_context():
        response = app.json.response({"b": [1, 2], "a": None})
    assert response.get_data(as_text=True) == '{"a":null,"b":[1,2]}\n'
    assert response.mimetype == "application/json"


def test_what_orjson_does_not_write_is_refused_as_flask_refuses_it(app: Flask) -> None:
    """An object no JSON holds is a TypeError, as with the json module."""
    with pytest.raises(TypeError):
        app.json.dumps({"set": {1, 2}})
