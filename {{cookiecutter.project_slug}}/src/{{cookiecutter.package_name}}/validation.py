"""Validators for text a database will store, as rules the OpenAPI document shows.

Each helper returns a list of marshmallow validators, not validate.And(...): apispec turns each
Length and Regexp of a list into minLength/maxLength/pattern, but cannot see inside And.
Unpaired surrogates, which no database stores either, never get this far: the JSON parser
refuses them (middleware.JSONProvider), as I-JSON (RFC 7493) does.
"""

from marshmallow import validate

# PostgreSQL refuses NUL in text; a single line has no control character at all.
_EDGE = r"[^\s\x00-\x1f\x7f]"
_INNER = r"[^\x00-\x1f\x7f]"
# The end of the text in every regex dialect; Python's $ also matches before a final newline.
_END = r"(?![\s\S])"

STORABLE_TEXT = rf"^[^\x00]*{_END}"
# One line, no leading or trailing whitespace: a name, a username.
TRIMMED_LINE = rf"^(?:{_EDGE}(?:{_INNER}*{_EDGE})?)?{_END}"


def text(max_length: int, *, min_length: int = 0) -> list[validate.Validator]:
    """Any text a database stores (newlines allowed), within the length bounds."""
    return [
        validate.Length(min=min_length, max=max_length),
        validate.Regexp(STORABLE_TEXT, error="Use text without NUL characters."),
    ]


def whole(pattern: str, error: str) -> validate.Regexp:
    """The whole value matches pattern, in every regex dialect (Python's and ECMA's)."""
    return validate.Regexp(rf"^(?:{pattern}){_END}", error=error)


def line(max_length: int, *, min_length: int = 1) -> list[validate.Validator]:
    """One line of printable text without leading or trailing whitespace."""
    return [
        validate.Length(min=min_length, max=max_length),
        validate.Regexp(
            TRIMMED_LINE,
            error="Use one line without control characters or surrounding spaces.",
        ),
    ]
