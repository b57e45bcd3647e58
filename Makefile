# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap everything.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
# llama.cpp without native CPU flags: the default build can emit AMX and die with "Illegal instruction".
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
export HF_HUB_OFFLINE := 1
export SCARF_NO_ANALYTICS := true
export DO_NOT_TRACK := true
export OMP_THREAD_LIMIT := 1

.PHONY: demo test lint test-llm test-slow install system clean

demo: install
	rm -rf .demo
	$(VENV)/bin/unirag demo --db .demo/db

test: install lint
	$(PY) -m pytest -q
	$(MAKE) test-llm

# ruff (pyflakes, bugbear, pyupgrade) and mypy over the whole package; both configured in pyproject.toml.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The generator against a real LLM server (llama.cpp + Gemma 3 270M on 127.0.0.1).
test-llm: $(LLM_STAMP)
	$(PY) -m pytest -q -m llm

# Built once (about 6 min; order-only: a pyproject change does not rebuild it); --no-cache-dir,
# or pip reuses a wheel built with other CMAKE_ARGS.
$(LLM_STAMP): | $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q --no-cache-dir -e '.[llm]'
	touch $(LLM_STAMP)

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
	$(PY) -m unirag.rag.encoders.onnx_export   # the default MiniLM as ONNX, so no query imports torch
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
