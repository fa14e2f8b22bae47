"""`{{ cookiecutter.project_slug }}-client`: the API's command-line client.

It talks to the API over HTTP only and imports nothing of the server, so it doubles as an example
of calling the API: http.py sends requests and turns problem+json answers into one-line errors,
cli.py holds the commands, and the auth backend's module ({{ cookiecutter.auth }}.py) logs in.
"""
