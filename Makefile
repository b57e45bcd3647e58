# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap everything.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export SCARF_NO_ANALYTICS := true
export DO_NOT_TRACK := true
export OMP_THREAD_LIMIT := 1

.PHONY: demo test test-slow install system clean

demo: install
	rm -rf .demo
	$(VENV)/bin/unirag demo --db .demo/db

test: install
	$(PY) -m pytest -q

# the long tests: 20 SIGKILL trials of `unirag ingest`, ...
test-slow: install
	$(PY) -m pytest -q -m slow

install: system $(STAMP)

# torch==2.13.0 (a local CPU build) goes in first so nothing pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Tesseract OCR (English + Chinese) for scanned pages and image queries; Chromium for the browser test.
system:
	@if ! (command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -q chi_sim); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-chi-sim >/dev/null; \
	  else echo "warning: tesseract-ocr (+chi_sim) missing and cannot apt-get it: OCR of scanned pages is disabled"; fi; \
	fi
	@# Chromium + its driver from Debian, for the chat page's headless browser test (skipped without them).
	@if ! (test -x /usr/bin/chromium && test -x /usr/bin/chromedriver); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "warning: chromium + chromium-driver missing and cannot apt-get them: the browser test is skipped"; fi; \
	fi

clean:
	rm -rf $(VENV) .demo .unirag
