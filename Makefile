# StreamRec: `make run` serves the site with demo data; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/streamrec
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
TEST_CACHE_URL ?= redis://127.0.0.1:6379/14

.PHONY: venv run setup migrate demo test worker beat start services clean browser

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo
	$(PY) manage.py train --if-missing

# Set up (one progress line per step) and serve as production would, over http on 127.0.0.1:$(PORT):
# gunicorn, DEBUG off. `DJANGO_DEBUG=1 make run` serves with runserver and debug pages instead.
PORT ?= 8000
run:
	@PORT=$(PORT) bash scripts/run.sh

setup:
	@bash scripts/run.sh --setup-only

services:
	bash scripts/ensure_services.sh

# The browser test drives Debian's Chromium (playwright's own browser download is not used).
browser:
	@test -x /usr/bin/chromium || { echo "installing chromium for the browser test"; \
		$$(test "$$(id -u)" = 0 || echo sudo) apt-get update -qq && $$(test "$$(id -u)" = 0 || echo sudo) apt-get install -y -qq chromium; } \
		|| echo "WARNING: could not install chromium; tests/test_browser.py will be skipped"

test: venv services browser
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} TEST_CELERY_BROKER_URL=$${TEST_CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
		STREAMREC_CACHE_URL=$${STREAMREC_CACHE_URL:-$(TEST_CACHE_URL)} $(PY) -m pytest $(PYTEST_ARGS)

worker: venv
	$(VENV)/bin/celery -A streamrec worker --loglevel=info

beat: venv
	$(VENV)/bin/celery -A streamrec beat --loglevel=info

# Production processes (gunicorn, Celery worker and beat) from the Procfile; configure by environment.
start: venv
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/honcho start

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles
