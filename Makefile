# ForgeryBench — `make demo` brings the platform up on this machine; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
VAR := var
RUN := $(VAR)/run
LOGS := $(VAR)/log
HOST ?= 127.0.0.1
PORT ?= 8000

# The demo: SQLite, the filesystem broker, a real worker process, real Docker.
DEMO_ENV := FORGERYBENCH_DATA_DIR=$(CURDIR)/$(VAR) SECRET_KEY_FILE=$(CURDIR)/$(VAR)/secret_key \
	ALLOWED_HOSTS=127.0.0.1,localhost

# The tests: PostgreSQL and Redis over real connections, data under var/test. TEST_NAME keeps
# concurrent runs on one machine apart (database, Redis db, data folder, container names).
TEST_NAME ?= test
TEST_REDIS_DB ?= 15
TEST_DATA := $(VAR)/$(TEST_NAME)
TEST_ENV := FORGERYBENCH_DATA_DIR=$(CURDIR)/$(TEST_DATA) SECRET_KEY=test-only-not-secret \
	DATABASE_URL=postgres://forgerybench:forgerybench@127.0.0.1:5432/forgerybench_$(TEST_NAME) \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/$(TEST_REDIS_DB) FORGERYBENCH_INSTANCE=$(TEST_NAME) \
	FORGERYBENCH_DB_APP_ROLE=forgerybench_app FORGERYBENCH_REQUIRE_SERVICES=1 \
	FORGERYBENCH_STORE_REFERENCED_IMAGES=0

.PHONY: help venv services images demo stop test security-report lint import-report layers-doc bench clean

help:
	@echo "make demo   set up everything and serve the site on http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite (starts PostgreSQL, Redis, Docker)"
	@echo "make lint   ruff + mypy;  make bench   speed figures;  make stop   stop the demo"

$(VENV)/.installed: pyproject.toml requirements/lock.txt
	@PYTHON=$$(deploy/scripts/find-python.sh) && $$PYTHON -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/lock.txt
	@# platform/ is a source folder, not a package (a package named `platform` would shadow
	@# the standard library's): put it and the repository root on the venv's path.
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "forgerybench.pth").write_text("$(CURDIR)\n$(CURDIR)/platform\n")'
	@# The team CLI as a command (what `pip install .` installs as a console script).
	printf '#!$(CURDIR)/$(PY)\nfrom forgerybench_cli.app import main\nmain()\n' > $(VENV)/bin/forgerybench
	chmod +x $(VENV)/bin/forgerybench
	touch $@

venv: $(VENV)/.installed

images: venv
	deploy/scripts/ensure-services.sh docker
	deploy/images/build_baselines.sh

$(VAR)/secret_key:
	@mkdir -p $(VAR) && umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

demo: venv images $(VAR)/secret_key
	@mkdir -p $(RUN) $(LOGS)
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v 0
	$(DEMO_ENV) $(PY) manage.py load_smoke
	@$(MAKE) --no-print-directory stop >/dev/null
	@# -B runs the periodic sweeper (celery beat) inside the one demo worker. The Django worker
	@# consumes only the score queue; runs (cpu, gpu) go to the run agent below.
	$(DEMO_ENV) DOCKER_HOST=unix:///nonexistent/docker.sock nohup $(PY) -m celery \
		-A forgerybench_site worker -B -Q score -c 1 \
		--schedule=$(RUN)/celerybeat-schedule \
		--pidfile=$(RUN)/worker.pid --logfile=$(LOGS)/worker.log -l INFO >/dev/null 2>&1 &
	@# The web server first (the agent reaches the platform through its agent API). It holds
	@# no engine (DOCKER_HOST points nowhere): uploads go into the image store, not an engine.
	$(DEMO_ENV) DOCKER_HOST=unix:///nonexistent/docker.sock nohup $(VENV)/bin/gunicorn \
		forgerybench_site.wsgi --bind $(HOST):$(PORT) --workers 2 --timeout 600 --pid $(RUN)/web.pid --access-logfile $(LOGS)/web-access.log \
		--error-logfile $(LOGS)/web.log >/dev/null 2>&1 &
	@for i in $$(seq 30); do curl -fsS -o /dev/null http://$(HOST):$(PORT)/ && break; sleep 1; done
	@# One local run agent: the only process that starts containers. Its environment is its
	@# credential, the broker and a scratch folder: no database, no secret key, no data folder.
	@umask 077 && $(DEMO_ENV) $(PY) manage.py agent_credential_create local --rotate --queues cpu,gpu \
		--output $(RUN)/agent-token >/dev/null
	env -i PATH="$$PATH" HOME="$$HOME" PYTHONPATH=$(CURDIR) \
		FORGERYBENCH_AGENT_PLATFORM_URL=http://$(HOST):$(PORT) \
		FORGERYBENCH_AGENT_TOKEN_FILE=$(CURDIR)/$(RUN)/agent-token \
		FORGERYBENCH_AGENT_BROKER_URL=filesystem:// FORGERYBENCH_AGENT_BROKER_DIR=$(CURDIR)/$(VAR)/broker \
		FORGERYBENCH_AGENT_DIR=$(CURDIR)/$(VAR)/agent FORGERYBENCH_AGENT_NAME=local \
		nohup $(PY) -m runagent -c 1 --pidfile=$(CURDIR)/$(RUN)/agent.pid \
		--logfile=$(CURDIR)/$(LOGS)/agent.log >/dev/null 2>&1 &
	@# The operator submits the baselines by reference from this engine; the one local agent
	@# shares it, so they need no copy in the image store.
	$(DEMO_ENV) FORGERYBENCH_STORE_REFERENCED_IMAGES=0 $(PY) manage.py demo_setup
	@curl -fsS -o /dev/null http://$(HOST):$(PORT)/b/smoke-detect/image/
	@echo "ForgeryBench is serving on http://$(HOST):$(PORT)/  (logins: $(VAR)/demo-credentials.txt; 'make stop' stops it)"

stop:
	-@for name in web worker agent; do \
		if [ -f $(RUN)/$$name.pid ]; then kill $$(cat $(RUN)/$$name.pid) 2>/dev/null; rm -f $(RUN)/$$name.pid; fi; \
	done

test: venv
	deploy/scripts/ensure-services.sh docker postgres redis chromium compose
	deploy/images/build_baselines.sh
	rm -rf $(TEST_DATA)
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# Run the attack suite and rewrite the attack -> outcome table in docs/security.md.
security-report: venv
	FORGERYBENCH_SECURITY_REPORT=$(CURDIR)/docs/security.md $(MAKE) --no-print-directory test \
		TEST_NAME=$(TEST_NAME) TEST_REDIS_DB=$(TEST_REDIS_DB) PYTEST_ARGS="-q tests/security $(PYTEST_ARGS)"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DEBUG=1 $(VENV)/bin/mypy

# Import circles among the platform's modules, imports inside functions included (a report:
# the layers themselves are a contract in .importlinter, which `make lint` enforces).
import-report: venv
	$(PY) deploy/scripts/import_cycles.py

# Redraw the layer diagram that opens docs/architecture.md from the layers contract
# (tests/deploy/test_layer_diagram.py fails while the two differ).
layers-doc: venv
	$(PY) deploy/scripts/layer_diagram.py

bench: venv
	$(PY) perf/bench_metrics.py
	FORGERYBENCH_BENCH_DIR=$(VAR) $(PY) perf/bench_outbundle.py
	deploy/scripts/ensure-services.sh docker
	$(PY) perf/bench_image_store.py
	deploy/scripts/ensure-services.sh wrk
	$(PY) perf/bench_leaderboard.py
	$(PY) perf/bench_analytics.py
	deploy/scripts/ensure-services.sh docker postgres redis
	$(PY) perf/bench_scale.py $(BENCH_SCALE_ARGS)

clean: stop
	rm -rf $(VAR)
