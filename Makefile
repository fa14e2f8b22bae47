# The template's two everyday commands; each makes the virtualenv it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO := build/my-flask-api

.PHONY: demo test bench lint lock clean

# The tooling of pyproject.toml's dev group, as requirements-dev.txt locks it (make lock).
$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $@

# Bake the defaults into build/, install the project as its README's first command does (its own
# `make install`: .venv from its hash-pinned lock), create a demo user (auth=token is the
# default), print how to log in, and serve the API on SQLite (its `make serve`). VIRTUAL_ENV= keeps
# an activated virtualenv of yours out of the project's commands.
demo: $(VENV)/.installed
	rm -rf $(DEMO)
	$(PY) -m cookiecutter --no-input --output-dir build .
	$(MAKE) -C $(DEMO) install VIRTUAL_ENV=
	cd $(DEMO) && .venv/bin/flask --app my_flask_api db upgrade
	cd $(DEMO) && .venv/bin/flask --app my_flask_api users create demo \
		--scope resources:read --scope resources:write --generate-password
	@echo 'Log in, then call a protected route with the access token:'
	@echo "  curl -s -X POST http://127.0.0.1:$(PORT)/api/auth/v1/login -H 'Content-Type: application/json' -d '{\"username\": \"demo\", \"password\": \"<the password above>\"}'"
	@echo "  curl -s http://127.0.0.1:$(PORT)/api/resources/v1 -H 'Authorization: Bearer <access_token>'"
	$(MAKE) -C $(DEMO) serve VIRTUAL_ENV= SERVE_FLAGS='--host 127.0.0.1 --port $(PORT)'

# The whole matrix: hooks, database servers, every combination baked, linted and tested.
test: $(VENV)/.installed
	$(PY) -m pytest -n auto --dist loadgroup --no-loadscope-reorder -p no:cacheprovider

# The generated stack against bare Flask and the alternatives, side by side (bench/run.py):
# build/bench/report.md and report.png. BENCH_SECONDS per load run (default 5).
bench: $(VENV)/.installed
	command -v wrk >/dev/null && command -v mariadbd >/dev/null \
		&& ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| { apt-get update -qq && apt-get install -y -qq wrk postgresql mariadb-server; }
	$(PY) -m bench.run

# Maintainers: resolve the hash-pinned locks of the template's tooling (requirements-dev.txt) and
# of the generated projects (templates/locks/); needs the network.
lock: $(VENV)/.installed
	$(PY) scripts/lock.py

lint: $(VENV)/.installed
	$(PY) -m ruff check hooks tests bench scripts
	$(PY) -m ruff format --check hooks tests bench scripts

clean:
	rm -rf build $(VENV)
