# ember: `make test` sets everything up from a fresh clone; `make demo` runs the quickstart and trains
# a CNN on real handwritten digits (examples/train_digits.py).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint format compat bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,examples]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py
	$(BIN)/python examples/train_digits.py

lint: $(STAMP)
	$(BIN)/ruff check ember tests examples
	$(BIN)/ruff format --check ember tests examples

format: $(STAMP)
	$(BIN)/ruff format ember tests examples
	$(BIN)/ruff check --fix ember tests examples

compat: $(STAMP)
	$(BIN)/python ../shared/compat/run.py ../shared/compat/seed

clean:
	rm -rf $(VENV) build *.egg-info
