"""Draining: told to stop (SIGTERM), the server command goes on serving for DRAIN_SECONDS while
/readyz answers 503 in every worker, so that load balancers stop sending it requests before its
sockets close; then granian's graceful stop finishes the requests in hand.

The flag is a file, in a folder the command makes and names to its workers in the environment
(FLAG), so it holds however the workers were started. Outside the command (flask run, the tests'
app) no flag is named and nothing drains.
"""

import os
from pathlib import Path

from .config import NON_NEGATIVE, Setting, Settings

SETTINGS: Settings = {
    # How long the command goes on serving, unready, once told to stop; 0: it stops at once.
    "DRAIN_SECONDS": Setting("int", 5, NON_NEGATIVE),
}

FLAG = "SERVER_DRAINING_FLAG"


def name_flag(folder: str) -> None:
    """Name the flag's file, in folder, to this process and the workers it starts."""
    os.environ[FLAG] = os.path.join(folder, "draining")


def begin() -> None:
    """Mark this server draining: every worker's /readyz answers 503 from now on."""
    Path(os.environ[FLAG]).touch()


def draining() -> bool:
    """Whether the server this process belongs to has been told to stop."""
    flag = os.environ.get(FLAG)
    return flag is not None and os.path.exists(flag)
