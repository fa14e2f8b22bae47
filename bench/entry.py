"""The generated app set up as its server command sets it up, for the servers it does not run:
`granian --interface wsgi --factory bench.entry:create`, `gunicorn "bench.entry:create()"`.

Its logging (LOG_FORMAT, so each request writes its access line, as under the command) and its
metrics folder shared by the workers (PROMETHEUS_MULTIPROC_DIR, which the caller sets): the
candidates do the same work per request. The database is migrated beforehand (migrate()).
"""

import importlib
import logging.config
from typing import Any

from bench.servers import PACKAGE


def create() -> Any:
    """The app, its log lines configured as the server command configures them."""
    app = importlib.import_module(PACKAGE).create_app()
    logs = importlib.import_module(f"{PACKAGE}.observability")
    config = logs.logging_config(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"], False)
    logging.config.dictConfig(config)
    return app
