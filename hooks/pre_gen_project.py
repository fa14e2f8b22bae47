"""Refuse bad answers before cookiecutter renders a single file.

Cookiecutter renders this script with Jinja before running it. The only Jinja is CONTEXT, inside a
raw string, so the module also imports unrendered: tests/test_hooks.py unit-tests its rules.
It is the one gate for answers: cookiecutter gives no earlier hook the answers of its command
line. Standard library only: cookiecutter's interpreter may lack anything else.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

CONTEXT = r"""{{ cookiecutter | jsonify }}"""

# The allowed values of every choice question; keep in step with cookiecutter.json (a test checks).
CHOICES: dict[str, tuple[str, ...]] = {
    "python_version": ("3.12", "3.13", "3.11"),
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"),
    "auth": ("token", "oidc", "none"),
    "database": ("sqlite", "postgresql", "mysql"),
    "tasks": ("none", "celery"),
    "ci": ("github", "gitlab", "none"),
}

# Yes/no questions: cookiecutter turns the answer into a boolean.
BOOLEANS = ("docker",)

# Import names of the generated project's dependencies and tools; markupsafe and blinker are
# imported by Flask itself.
PROJECT_IMPORTS = frozenset(
    {
        "alembic",
        "apispec",
        "argon2",
        "authlib",
        "blinker",
        "celery",
        "click",
        "coverage",
        "dotenv",
        "flask",
        "flask_jwt_extended",
        "flask_marshmallow",
        "flask_migrate",
        "flask_oidc",
        "flask_smorest",
        "flask_sqlalchemy",
        "granian",
        "itsdangerous",
        "jinja2",
        "jwt",
        "kombu",
        "limits",
        "markupsafe",
        "marshmallow",
        "marshmallow_sqlalchemy",
        "mypy",
        "openapi_spec_validator",
        "orjson",
        "psycopg",
        "pymysql",
        "pytest",
        "redis",
        "requests",
        "ruff",
        "sqlalchemy",
        "webargs",
        "werkzeug",
    }
)

# Directories and modules the generated project has next to its package.
PROJECT_LAYOUT = frozenset({"conftest", "instance", "migrations", "test", "tests"})

# Modules removed from the standard library in 3.12/3.13 (PEP 594 and others): still stdlib for a
# project that targets 3.11, whatever interpreter runs cookiecutter.
REMOVED_STDLIB = frozenset(
    {
        "aifc",
        "asynchat",
        "asyncore",
        "audioop",
        "cgi",
        "cgitb",
        "chunk",
        "crypt",
        "distutils",
        "imghdr",
        "imp",
        "lib2to3",
        "mailcap",
        "msilib",
        "nis",
        "nntplib",
        "ossaudiodev",
        "pipes",
        "smtpd",
        "sndhdr",
        "spwd",
        "sunau",
        "telnetlib",
        "uu",
        "xdrlib",
    }
)
STDLIB = frozenset(sys.stdlib_module_names) | REMOVED_STDLIB

# PEP 440, Appendix B: the canonical VERSION_PATTERN.
VERSION_PATTERN = r"""
    v?
    (?:
        (?:(?P<epoch>[0-9]+)!)?                           # epoch
        (?P<release>[0-9]+(?:\.[0-9]+)*)                  # release segment
        (?P<pre>                                          # pre-release
            [-_\.]?
            (?P<pre_l>(a|b|c|rc|alpha|beta|pre|preview))
            [-_\.]?
            (?P<pre_n>[0-9]+)?
        )?
        (?P<post>                                         # post release
            (?:-(?P<post_n1>[0-9]+))
            |
            (?:
                [-_\.]?
                (?P<post_l>post|rev|r)
                [-_\.]?
                (?P<post_n2>[0-9]+)?
            )
        )?
        (?P<dev>                                          # dev release
            [-_\.]?
            (?P<dev_l>dev)
            [-_\.]?
            (?P<dev_n>[0-9]+)?
        )?
    )
    (?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?       # local version
"""
VERSION_RE = re.compile(VERSION_PATTERN, re.VERBOSE | re.IGNORECASE)
SLUG_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
PACKAGE_RE = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# Everything str.splitlines() breaks on.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")

Check = Callable[[Any], str | None]


def check_text(value: str, max_length: int) -> str | None:
    """Keep free text safe to render inside TOML and Python string literals."""
    if not value.strip():
        return "is blank; give some visible text"
    if any(char in LINE_BREAKS for char in value):
        return "is not one line; remove the line breaks"
    for char in value:
        if unicodedata.category(char) == "Cc":
            return f"contains the control character U+{ord(char):04X}; remove it"
    if '"' in value or "\\" in value:
        return (
            "contains a double quote or backslash; these are not allowed because the value is"
            " rendered into TOML and Python strings"
        )
    if len(value) > max_length:
        return f"is {len(value)} characters long; use at most {max_length}"
    return None


def check_project_name(value: str) -> str | None:
    """The slug, and so the directory name, is derived from the name's letters and digits."""
    problem = check_text(value, max_length=100)
    if problem is None and not any(char.isalnum() for char in value):
        return "has no letter or digit to derive the project slug from; use e.g. Inventory API"
    return problem


def check_slug(value: str) -> str | None:
    """The slug names the directory, the distribution and the console command."""
    if not SLUG_RE.fullmatch(value):
        return (
            "is not kebab-case; use lowercase letters, digits and single hyphens,"
            " starting with a letter"
        )
    if len(value) > 64:
        return f"is {len(value)} characters long; use at most 64"
    return None


def check_package_name(value: str) -> str | None:
    """The package must import, and must not shadow a module the project itself imports."""
    if not PACKAGE_RE.fullmatch(value):
        return (
            "is not a lowercase Python identifier; use lowercase letters, digits and underscores,"
            " not starting with a digit"
        )
    if keyword.iskeyword(value):
        return "is a Python keyword; choose another package name"
    if value in STDLIB:
        return "shadows the standard-library module of that name; choose another package name"
    if value in PROJECT_IMPORTS:
        return "shadows a library the generated project imports; choose another package name"
    if value in PROJECT_LAYOUT:
        return "clashes with a directory of the generated project; choose another package name"
    return None


def check_email(value: str) -> str | None:
    """The address goes into pyproject.toml's authors, which tools parse."""
    if not EMAIL_RE.fullmatch(value):
        return "is not an e-mail address; use the form name@example.com"
    return check_text(value, max_length=254)


def check_version(value: str) -> str | None:
    """Packaging tools reject a project whose version is not PEP 440."""
    if not VERSION_RE.fullmatch(value):
        return "is not a PEP 440 version; use e.g. 0.1.0, 1.0.0rc1 or 2.0.0.dev1"
    return None


def check_choice(value: str, field: str) -> str | None:
    """Guard choices too: a replay file or the Python API can bypass cookiecutter's own check."""
    if value not in CHOICES[field]:
        return f"is not allowed; choose one of {', '.join(CHOICES[field])}"
    return None


def check_boolean(value: Any) -> str | None:
    """A yes/no answer must stay a boolean: the templates branch on it."""
    if not isinstance(value, bool):
        return "is not allowed; answer yes or no"
    return None


# Checked in this order; the first failure is the one reported.
CHECKS: dict[str, Check] = {
    "project_name": check_project_name,
    "project_slug": check_slug,
    "package_name": check_package_name,
    "description": partial(check_text, max_length=200),
    "author_name": partial(check_text, max_length=100),
    "author_email": check_email,
    "version": check_version,
    **{field: partial(check_choice, field=field) for field in CHOICES},
    **dict.fromkeys(BOOLEANS, check_boolean),
}


def validate(answers: Mapping[str, Any]) -> list[str]:
    """Describe every bad answer as one line naming the field, the value and what is allowed."""
    errors = []
    for field, check in CHECKS.items():
        value = answers.get(field)
        if not isinstance(value, str) and field not in BOOLEANS:
            errors.append(f"{field}: {value!r} is not text; the template must define it")
            continue
        problem = check(value)
        if problem:
            errors.append(f"{field}: {value!r} {problem}")
    return errors


def main() -> int:
    """Stop generation with one readable line instead of a traceback from a broken project."""
    errors = validate(json.loads(CONTEXT))
    if errors:
        print(errors[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
