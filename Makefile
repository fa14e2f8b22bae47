# The template's two everyday commands; each makes the virtualenv it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO := build/my-flask-api

.PHONY: demo test lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade 'pip>=25.1'
	$(PY) -m pip install -q --disable-pip-version-check --group dev
	touch $@

# Bake the defaults into build/, install the project in its own virtualenv, serve it on SQLite.
demo: $(VENV)/.installed
	$(PY) -m cookiecutter --no-input --overwrite-if-exists --output-dir build .
	cd $(DEMO) && $(PYTHON) -m venv .venv && .venv/bin/python -m pip install -q --disable-pip-version-check .
	cd $(DEMO) && .venv/bin/my-flask-api --host 127.0.0.1 --port $(PORT)

# The whole matrix: hooks, database servers, every combination baked, linted and tested.
test: $(VENV)/.installed
	$(PY) -m pytest -n auto -p no:cacheprovider

lint: $(VENV)/.installed
	$(PY) -m ruff check hooks tests
	$(PY) -m ruff format --check hooks tests

clean:
	rm -rf build $(VENV)
