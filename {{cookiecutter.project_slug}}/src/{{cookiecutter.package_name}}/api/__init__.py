"""The versioned APIs: one blueprint per resource and version, mounted at /api/<name>/v<N>.

Each API is a package here and each of its versions a module v<N> with a blueprint `blp`; they
are found by name, so adding a version is adding its module. Older versions keep being served.
"""

import re
from importlib import import_module
from pkgutil import iter_modules

from flask import Blueprint

from ..health import blp as health

VERSION = re.compile(r"v\d+")


def versions() -> list[Blueprint]:
    """The blueprint of every version of every API, ordered by API name, then version."""
    found: list[tuple[str, int, Blueprint]] = []
    for api in iter_modules(__path__):
        if not api.ispkg:
            continue  # a module the APIs share, such as pagination
        package = import_module(f"{__name__}.{api.name}")
        for module in iter_modules(package.__path__):
            if VERSION.fullmatch(module.name):
                blp = import_module(f"{package.__name__}.{module.name}").blp
                found.append((api.name, int(module.name[1:]), blp))
    return [blp for *_, blp in sorted(found, key=lambda entry: entry[:2])]


BLUEPRINTS: tuple[Blueprint, ...] = (health, *versions())
