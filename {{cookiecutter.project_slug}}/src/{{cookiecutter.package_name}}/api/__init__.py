"""The versioned APIs: one blueprint per resource and version, mounted at /api/<name>/v<N>."""

from flask import Blueprint

from ..health import blp as health
from .greeting import v1 as greeting_v1
from .greeting import v2 as greeting_v2
{%- if cookiecutter.auth != "none" %}
from .greeting import v3 as greeting_v3
{%- endif %}
{%- if cookiecutter.tasks == "celery" %}
from .jobs import v1 as jobs_v1
{%- endif %}
from .resources import v1 as resources_v1

# Adding an API version is one module and one line here; older versions keep being served.
BLUEPRINTS: tuple[Blueprint, ...] = (
    health,
    greeting_v1.blp,
    greeting_v2.blp,
{%- if cookiecutter.auth != "none" %}
    greeting_v3.blp,
{%- endif %}
    resources_v1.blp,
{%- if cookiecutter.tasks == "celery" %}
    jobs_v1.blp,
{%- endif %}
)
