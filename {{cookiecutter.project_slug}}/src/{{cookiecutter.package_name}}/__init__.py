"""{{ cookiecutter.project_name }}: {{ cookiecutter.description }}"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """create_app, imported on first use rather than with the package: the server command names
    the metrics folder before prometheus-client is imported, which reads it then."""
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
