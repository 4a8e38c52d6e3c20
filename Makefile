# churnguard — two commands: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install vendor demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# ECharts and htmx for the web app and the reports, from the npm registry (git-ignored).
vendor:
	@scripts/fetch_vendor.sh || echo "warning: could not fetch ECharts/htmx (needs npm); charts will be missing"

demo: install vendor
	$(BIN)/churnguard demo

test: install vendor
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff check src tests bench

bench: install vendor
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) churnguard-demo src/churnguard/web/static/vendor
