"""Lets tests import the hooks; cookiecutter runs only the files named after a hook."""
