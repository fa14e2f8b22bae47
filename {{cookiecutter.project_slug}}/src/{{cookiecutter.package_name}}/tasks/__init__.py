"""Background jobs: the settings and set-up of the backend ({{ cookiecutter.tasks }}) for app.py.

The backend lives in its own module, as auth's do: none.py (no jobs) or celery.py (with jobs.py,
the job kinds; models.py, the jobs table; worker.py, the worker command).
"""

from .{{ cookiecutter.tasks }} import SETTINGS, init_app, later, register

__all__ = ["SETTINGS", "init_app", "later", "register"]
