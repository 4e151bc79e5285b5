# Two commands for a fresh machine (see README):
#   make run    set everything up, then open the chat app
#   make test   set everything up, then run the whole test suite (what CI runs)
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-requirements
LLAMA_STAMP := $(VENV)/.llama-cpp-build
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8501
API_PORT ?= 8000
MODEL_PORT ?= 8080
INDEX_PORT ?= 19530
EMBED_PORT ?= 8081
SLOTS ?= 4

.PHONY: run test test-fast test-explore lint docs setup rebuild-llama llama-server ocr browser eval bench bench-scale bench-pdf bench-formats bench-load bench-injection bench-llama-build bench-milvus bench-milvus-overlap bench-milvus-index bench-agreement bench-embeddings bench-filter bench-detector bench-furniture bench-non-answers bench-answer-selection bench-fine-tuned-screen serve serve-model serve-index serve-embeddings

# Headless: a first, non-headless start would stop to ask for an e-mail address.
run: setup
	@echo "Opening the chat app at http://localhost:$(PORT) (Ctrl-C stops it)"
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true

test: setup llama-server browser lint
	bash scripts/convert_minilm_gguf.sh $(VENV)
	$(PY) -m pytest

# The fast tier while you work: no language model, about a minute.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

# The property tests with newly drawn examples (the gate draws the same ones every run):
# run it a few times, and add what it finds as an @example.
test-explore: $(STAMP)
	HYPOTHESIS_PROFILE=explore $(PY) -m pytest tests/test_properties.py

lint: $(STAMP)
	$(PY) -m ruff check .

# docs/configuration.md from the settings code (a test fails when it is stale).
docs: $(STAMP)
	$(PY) -m chatbot settings --markdown > docs/configuration.md

# Models assembled and checked, index built or brought up to date (both are no-ops when current), and the
# language model's first answer proven in a child process (a crash there is one sentence, not a broken app).
setup: $(STAMP) $(LLAMA_STAMP) ocr
	$(PY) -m chatbot setup

# Debian's Tesseract, which reads scanned PDFs (pages without a text layer).
ocr:
	@if command -v tesseract >/dev/null && [ -n "$$(tesseract --list-langs 2>/dev/null | grep -x eng)" ]; then :; else \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q tesseract-ocr tesseract-ocr-eng; fi

# llama-cpp-python compiles from source for this CPU first (about 5 minutes on 2 cores; README, "Models"), so that
# requirements.txt finds it installed.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --upgrade pip
	bash scripts/install_llama_cpp.sh $(VENV)
	$(VENV)/bin/pip install -r requirements.txt
	$(VENV)/bin/pip install --no-deps -e .
	touch $@

# Rebuilt only when the version, the build flags or the CPU changed (a venv copied to another machine, say).
$(LLAMA_STAMP): $(STAMP) scripts/install_llama_cpp.sh scripts/llama_cpu_flags.sh scripts/cpu_id.sh
	bash scripts/install_llama_cpp.sh $(VENV)

# Both llama.cpp builds again, for this CPU (the fix the model check names when a build crashes).
rebuild-llama: $(STAMP)
	bash scripts/install_llama_cpp.sh $(VENV) --force
	bash scripts/build_llama_server.sh $(VENV) --force
	$(PY) -m chatbot check-model

# llama.cpp's llama-server, built once from the sources in the pinned llama-cpp-python sdist (about 5 minutes).
# The script does nothing when the binary matches the version, the flags and the CPU.
llama-server: $(STAMP)
	bash scripts/build_llama_server.sh $(VENV)

# The model server for CHATBOT_ENGINE=openai: the bundled model, $(SLOTS) answers decoded side by side,
# on 127.0.0.1:$(MODEL_PORT). Ctrl-C or SIGTERM stops it (the process is llama-server itself).
serve-model: setup llama-server
	$(PY) -m chatbot serve-model --port $(MODEL_PORT) --slots $(SLOTS)

# The bundled MiniLM on llama-server, for CHATBOT_EMBEDDINGS=openai, on 127.0.0.1:$(EMBED_PORT) (converted to GGUF once).
serve-embeddings: setup llama-server
	bash scripts/convert_minilm_gguf.sh $(VENV)
	$(PY) -m chatbot serve-embeddings --port $(EMBED_PORT)

# A local Milvus server for CHATBOT_INDEX_BACKEND=milvus on 127.0.0.1:$(INDEX_PORT), until Ctrl-C (docs/scaling.md).
serve-index: $(STAMP)
	$(PY) -m chatbot serve-index --port $(INDEX_PORT)

# Our own HTTP API on 127.0.0.1:$(API_PORT) (see README, "HTTP API").
serve: setup
	$(PY) -m chatbot serve --port $(API_PORT)

# Debian's Chromium and ChromeDriver for the browser test (never a browser download).
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; else \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver; fi

eval: setup
	$(PY) -m chatbot eval eval/questions.jsonl --out runs/latest

# The product's benchmarks (docs/evaluation.md lists what each measures); results go to docs/results/ as dated notes.
bench: setup
	$(PY) -m benchmarks.bench_latency

bench-scale: $(STAMP)
	$(PY) -m benchmarks.bench_index_scale

# Concurrent sessions: in-process llama.cpp against the openai engine + llama-server (about 25 minutes).
bench-load: setup llama-server
	$(PY) -m benchmarks.bench_load

bench-pdf: $(STAMP)
	$(PY) -m benchmarks.bench_pdf

# About 10 minutes per format: squad2-dev as PDF, HTML and DOCX through `eval`.
bench-formats: setup
	$(PY) -m benchmarks.bench_formats

# BIPIA's attack texts planted in squad2-dev, with and without each defence (ARGS=--collection instructional: in how-tos).
bench-injection: setup
	$(PY) -m benchmarks.bench_injection $(ARGS)

# The same synthetic collection through Milvus and the embedded store (CHUNKS=1000000 is the issue's scale).
CHUNKS ?= 20000
bench-milvus: $(STAMP)
	$(PY) -m benchmarks.bench_milvus_scale --chunks $(CHUNKS) $(ARGS)

# The development questions' top 5 through Milvus (our fusion, and Milvus's own RRF) against the embedded store.
bench-milvus-overlap: $(STAMP)
	$(PY) -m benchmarks.bench_milvus_overlap

# Which dense index Milvus Lite searches: recall and time of each index type and nprobe on clustered vectors.
bench-milvus-index: $(STAMP)
	$(PY) -m benchmarks.bench_milvus_lite_index $(ARGS)

# Agreement of sampled answers in the verdict's uncertain band: ARGS="collect …" per set, then ARGS="grid …".
bench-agreement: setup
	$(PY) -m benchmarks.bench_agreement $(or $(ARGS),--help)

# The in-process MiniLM against the same model on llama-server --embeddings.
bench-embeddings: setup llama-server
	bash scripts/convert_minilm_gguf.sh $(VENV)
	$(PY) -m benchmarks.bench_embeddings

# Questions limited to chosen documents of 10,000 synthetic ones, against unfiltered.
bench-filter: $(STAMP)
	$(PY) -m benchmarks.bench_filter

# No language model: the instruction detector, page furniture, the non-answer check on labelled data.
bench-detector: $(STAMP)
	$(PY) -m benchmarks.bench_detector $(ARGS)
bench-furniture: $(STAMP)
	$(PY) -m benchmarks.bench_furniture
bench-non-answers: $(STAMP)
	$(PY) -m benchmarks.bench_non_answers
bench-answer-selection: $(STAMP)
	$(PY) -m benchmarks.bench_answer_selection $(ARGS)
bench-fine-tuned-screen: $(STAMP)
	$(PY) -m benchmarks.bench_fine_tuned_screen $(ARGS)

# This venv's llama.cpp build against others built by hand (BUILDS="native=/tmp/llama-native ...").
bench-llama-build: setup
	$(PY) -m benchmarks.bench_llama_build $(foreach b,$(BUILDS),--build $(b))
