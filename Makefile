# The two commands a newcomer needs: `make run` and `make test`. Everything else is for CI.
SHELL := /bin/bash
PYTHON ?= python3.13
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
PROD_ENV := DJANGO_SETTINGS_MODULE=config.settings.production \
	SECRET_KEY=check-deploy-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH \
	FIELD_ENCRYPTION_KEYS=Y2hlY2stZGVwbG95LW9ubHktMzItYnl0ZS1rZXktLS0= \
	ALLOWED_HOSTS=example.herokuapp.com

.PHONY: install run test lint format check clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.13 is required (pyenv install 3.13, or set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python requirements/base.txt requirements/development.txt requirements/production.txt
	$(BIN)/pip install -q -r requirements/development.txt
	touch $(STAMP)

install: $(STAMP)

SIM_PORT ?= 8765

# TASKS_BACKEND=immediate runs the demo without a worker: long work then runs inside the requests.
TASKS_BACKEND ?= database

run: install  ## set up everything and serve the app with demo data on http://127.0.0.1:$(PORT) (PORT=8000, SIM_PORT=8765)
	$(BIN)/python manage.py migrate --no-input
	@# The TastyTrade simulator and the task worker run beside the app for the demo and stop with it.
	$(BIN)/python manage.py tastytrade_simulator --port $(SIM_PORT) --seed 1 --accounts 2 --days 730 \
		> .simulator.log 2>&1 & sim=$$!; worker=; trap 'kill $$sim $$worker 2>/dev/null' EXIT INT TERM; \
	export TASTYTRADE_SIMULATOR_URL=http://127.0.0.1:$(SIM_PORT) TASKS_BACKEND=$(TASKS_BACKEND) \
		SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}; \
	$(BIN)/python manage.py demo && \
	if [ "$(TASKS_BACKEND)" = database ]; then \
		$(BIN)/python manage.py db_worker --interval 0.1 --no-reload > .worker.log 2>&1 & worker=$$!; fi; \
	echo "TastyTrade Tracker: open $$SITE_URL/ (Ctrl-C stops the app, the simulator and the worker)"; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Two test processes (pytest-xdist), each with its own test database and browser: the suite takes about 7 minutes
# on 2 cores instead of 12. TEST_PROCESSES=auto uses every core, 0 runs in this process.
TEST_PROCESSES ?= 2

test: install  ## every test; SQLite unless DATABASE_URL is set
	$(BIN)/pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(PROD_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

.PHONY: security security-live
security: install  ## bandit, then the requirements against the vendored advisory snapshot; any finding fails
	@# Two kinds of stderr noise are dropped: which option came from where (INFO), and a warning for every other
	@# string on a line marked `# nosec B608` ("nosec encountered ... but no failed test"). Findings go to stdout.
	$(BIN)/bandit -q -r apps config simulator --ini .bandit --severity-level medium 2> >(grep -vE "INFO|nosec encountered" >&2)
	@# Offline: every pinned package and what it installs, against security/advisories.json (see its header).
	$(BIN)/python security/audit.py

security-live: install  ## pip-audit against the live vulnerability database; passes, saying so, when it is out of reach
	@out=$$($(BIN)/pip-audit -s osv --no-deps --disable-pip --progress-spinner off \
		-r requirements/production.txt -r requirements/development.txt 2>&1); status=$$?; \
	if grep -qE "ConnectionError|NameResolutionError|Max retries exceeded|timed out" <<<"$$out"; then \
		echo "pip-audit: the vulnerability database cannot be reached from this machine, so nothing was checked live."; \
		echo "make security checked the same requirements offline against security/advisories.json."; \
	else echo "$$out"; exit $$status; fi

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
