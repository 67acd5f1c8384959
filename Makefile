# Every target works on a fresh clone: it makes .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: test demo demo-parallel bench typecheck unit clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Unit tests (which include the type-level tests in typings/), then mypy --strict over everything.
test: $(STAMP)
	$(PY) -m pytest -q
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest -q tests

typecheck: $(STAMP)
	$(PY) -m mypy

# The demo also needs the optional `demo` extra (matplotlib) for its PNGs, and `data`
# (scikit-learn) for the digits.
$(DEMO_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,demo,data]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(PY) examples/demo.py
	$(PY) examples/train_spiral.py
	$(PY) examples/gaussian_process.py
	$(PY) examples/train_lstm.py
	$(PY) examples/train_cnn.py

# pg.parallel on a 2-process LocalCluster: 20 million generated rows (half a minute on two
# idle cores; minutes on a busy machine), so not in `demo`.
demo-parallel: $(STAMP)
	$(PY) examples/parallel_regression.py

bench: $(STAMP)
	$(PY) benchmarks/run.py
	$(PY) benchmarks/saving.py
	$(PY) benchmarks/parallel.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .hypothesis
