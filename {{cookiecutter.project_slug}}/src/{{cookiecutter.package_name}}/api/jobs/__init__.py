"""The jobs API: start slow work on the Celery worker, then poll it."""
