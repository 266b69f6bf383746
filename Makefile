# The README's two commands: `make brochure` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: brochure test check lint format bench clean

$(VENV)/ready: pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

brochure: $(VENV)/ready          ## build the bundled sample brochure into build/
	$(PY) make_brochure.py build

check: $(VENV)/ready             ## validate the content without writing a PDF
	$(PY) make_brochure.py check --quick

lint: $(VENV)/ready
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint                       ## lint, then run the whole test suite (CI runs this)
	bash scripts/system-deps.sh --browser
	$(PY) -m pytest -n auto --dist loadfile   # one worker per core; a file's tests stay together

format: $(VENV)/ready
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/ready             ## the build benchmark (bench/README.md); bench/run.py --quick for a short one
	$(PY) bench/run.py

clean:
	rm -rf build
