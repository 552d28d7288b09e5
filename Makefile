# The two set-up commands of the README: `make run` and `make test`.
# Needs only Python 3.11+ and make; everything else goes into .venv.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test coverage lint matrix bench clean messages compilemessages docs

# PostgreSQL for `make bench` (skipped, with a note, when it does not answer).
BENCH_PG_URL ?= postgres://invites:invites@127.0.0.1:5432/invites

# `make run` installs the runtime set only; `make test`/`lint`/`bench` add the dev tools.
$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt requirements-test.txt requirements-rq.txt requirements-allauth.txt
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

# Development server with demo data on SQLite (DEBUG on, so no SECRET_KEY needed).
run: $(VENV)/.runtime
	DEBUG=$${DEBUG:-true} $(PY) manage.py createcachetable
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py collectstatic --noinput -v 0
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

# The whole test suite; DATABASE_URL picks the database (default: SQLite). Each database
# keeps its own coverage data file (.coverage.sqlite, .coverage.postgresql) for
# `make coverage`; the floor applies to the combined figure only.
COVERAGE_RUN ?= $(if $(findstring postgres,$(DATABASE_URL)),postgresql,sqlite)

test: $(VENV)/.dev
	COVERAGE_FILE=.coverage.$(COVERAGE_RUN) $(PY) -m pytest --cov --cov-report= --cov-fail-under=0 $(PYTEST_ARGS)
	@# The django-allauth integration runs under its own settings, where allauth is installed.
	@if $(PY) -c "import allauth" 2>/dev/null; then \
		COVERAGE_FILE=.coverage.$(COVERAGE_RUN)-allauth $(PY) -m pytest --cov --cov-report= \
			--cov-fail-under=0 --ds=tests.allauth.settings tests/allauth $(PYTEST_ARGS); \
	else echo "django-allauth is not installed: tests/allauth/ skipped."; fi

# Coverage of invites/ over the runs of `make test` so far (e.g. SQLite, then PostgreSQL):
# combines their data files and fails under the floor set in pyproject.toml.
coverage: $(VENV)/.dev
	$(PY) -m coverage combine --keep
	$(PY) -m coverage report

# The version matrix (noxfile.py): the suite on each supported Django and Python, and the
# built wheel installed into a brand-new project. `make matrix NOX_ARGS="-s tests"`.
matrix: $(VENV)/.dev
	$(PY) -m nox $(NOX_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy invites

# Benchmarks, on SQLite then PostgreSQL: the refresh (project vs naive loop vs
# hand-written SQL) and a CSV import through the command and the admin page
# (BENCH_IMPORT_ARGS, e.g. "--sizes 1000 100000"); then, on PostgreSQL, delivery: refresh
# with emails off vs queued, and the drain rate of 2 db_worker processes vs one process
# with no queue (benchmarks/bench_delivery.py); the same on Redis + RQ (2 rqworker
# processes, a throw-away redis-server) when django-tasks-rq and redis-server are there;
# last, the invite lists (admin and API) at 2,000 and 1,000,000 invites
# (benchmarks/bench_scale.py, BENCH_SCALE_ARGS, e.g. "--count-limit 1000").
bench: $(VENV)/.dev
	$(PY) benchmarks/bench_refresh.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_import.py $(BENCH_IMPORT_ARGS)
	@if $(PY) -c "import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(BENCH_PG_URL)" 2>/dev/null; then \
		DATABASE_URL="$(BENCH_PG_URL)" $(PY) benchmarks/bench_refresh.py $(BENCH_ARGS); \
		DATABASE_URL="$(BENCH_PG_URL)" $(PY) benchmarks/bench_delivery.py $(BENCH_DELIVERY_ARGS); \
		if $(PY) -c "import django_tasks_rq" 2>/dev/null && command -v redis-server >/dev/null; then \
			DATABASE_URL="$(BENCH_PG_URL)" $(PY) benchmarks/bench_delivery.py --engine rq $(BENCH_DELIVERY_ARGS); \
		else \
			echo "django-tasks-rq (requirements-rq.txt) or redis-server missing: RQ delivery benchmark skipped."; \
		fi; \
		DATABASE_URL="$(BENCH_PG_URL)" $(PY) benchmarks/bench_import.py $(BENCH_IMPORT_ARGS); \
		DATABASE_URL="$(BENCH_PG_URL)" $(PY) benchmarks/bench_scale.py $(BENCH_SCALE_ARGS); \
		DATABASE_URL="$(BENCH_PG_URL)" $(PY) benchmarks/bench_commands.py $(BENCH_COMMANDS_ARGS); \
	else \
		echo "PostgreSQL at BENCH_PG_URL=$(BENCH_PG_URL) does not answer: PostgreSQL run skipped."; \
	fi

# Translation catalogs of the app, in invites/locale/. `make messages` refreshes the .po
# files from the sources, keeping existing translations; a new language is added with
# `make messages LOCALES=it`. Run `make compilemessages` after translating.
# Run from inside invites/ without settings (and -P: not with invites/ on the module
# path), so the catalogs hold the app's strings only.
LOCALES ?= $(notdir $(wildcard invites/locale/*))
DJANGO_ADMIN := cd invites && env -u DJANGO_SETTINGS_MODULE ../$(PY) -P -m django

messages: $(VENV)/.dev
	$(DJANGO_ADMIN) makemessages $(foreach locale,$(LOCALES),-l $(locale)) --no-obsolete --add-location file

compilemessages: $(VENV)/.dev
	$(DJANGO_ADMIN) compilemessages

clean:
	rm -rf $(VENV) .nox build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .coverage .coverage.* htmlcov

# The documentation site (docs/), warnings as errors.
docs: $(VENV)/.dev
	$(PY) -m pip install -q -r requirements-docs.txt
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
