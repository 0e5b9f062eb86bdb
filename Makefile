# Two commands do all the set-up: `make run` (the dashboard) and `make test` (every check and test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The legacy `speechmatics` CLI (speechmatics-python) in a venv of its own: its `speechmatics`
# package would shadow the namespace the official SDKs share. Tests run it against the engine.
LEGACY := $(VENV)/legacy
LEGACY_STAMP := $(LEGACY)/.installed

.PHONY: run test lint typecheck imports docs pytest benchmark benchmark-default benchmark-memory benchmark-load benchmark-vocab benchmark-speakers benchmark-models benchmark-stepped benchmark-microphone benchmark-scripts benchmark-matrix soak fuzz clean

run: $(STAMP)
	$(BIN)/sm-tui $(ARGS)

test: lint typecheck imports docs pytest

lint: $(STAMP)
	$(BIN)/ruff check tui tests bench
	$(BIN)/ruff format --check tui tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The import contracts in pyproject.toml: layers, no cycles, a headless core.
imports: $(STAMP)
	$(BIN)/lint-imports

# The docs site (mkdocs-material) into site/; --strict fails on a broken link or a benchmark
# page whose results are missing.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Two phases. The tests marked `paced` stream real speech through the real model and judge its
# words or their timing: they run last, in one process, so a real-time step has the CPU it
# would have. The rest mostly wait on engines starting, restarts, timeouts and paced stand-ins,
# and run first on PYTEST_WORKERS pytest-xdist workers (0: one process). (All tests on two
# workers starved the real-time accuracy tests beside a CPU hog: German real time fell to 58%
# WER.) pytest exits 5 when a phase collects no test: a failure only if both do, said plainly.
PYTEST_WORKERS ?= 2
pytest: $(STAMP) $(LEGACY_STAMP)
	@$(BIN)/python -m pytest -m "not paced" $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile) $(PYTEST_ARGS); first=$$?; 	$(BIN)/python -m pytest -m paced $(PYTEST_ARGS); paced=$$?; 	if [ $$first -eq 5 ] && [ $$paced -eq 5 ]; then echo "pytest collected no tests" >&2; exit 5; fi; 	for rc in $$first $$paced; do if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi; done

benchmark: $(STAMP)
	$(BIN)/sm-tui compare assets --references assets/references.tsv

# What the official SDKs' default config (enhanced) gets on long continuous speech, beside raw
# faster-whisper in the same run (needs espeak-ng and flite); figures to
# bench/results/<date>-<machine>/.
benchmark-default: $(STAMP)
	$(BIN)/python bench/default_path.py $(DEFAULT)

# Real time idle, beside a CPU hog and beside a long batch job, on the shared recordings;
# LOAD="--operating-point enhanced --long" as the SDKs ask, with 3 minutes of continuous speech.
benchmark-load: $(STAMP)
	$(BIN)/python bench/load.py $(LOAD)

# The real-time rules stepped through the real model on a virtual clock (no socket): WER, latency.
benchmark-stepped: $(STAMP)
	$(BIN)/python bench/stepped.py $(STEPPED)

# additional_vocab: invented names recognised with and without it (needs espeak-ng, flite and
# sox); VOCAB=enhanced measures Whisper base.
benchmark-vocab: $(STAMP)
	$(BIN)/python bench/vocab.py $(VOCAB)

# Both operating points (tiny.en, Whisper base), batch and real time, on the shared recordings;
# MODELS=--long adds 3 minutes of continuous speech.
benchmark-models: $(STAMP)
	$(BIN)/python bench/models.py $(MODELS)

# Speaker diarization: words labelled with the voice that said them (batch and real time).
benchmark-speakers: $(STAMP)
	$(BIN)/python bench/speakers.py

# A live session through a real microphone (a private PulseAudio server) beside the same
# speech from a file (needs pulseaudio, pulseaudio-utils, libasound2-plugins).
benchmark-microphone: $(STAMP)
	$(BIN)/python bench/microphone.py $(MICROPHONE)

# Which script each language comes back in (cmn Simplified, sr Cyrillic…), raw Whisper beside
# the engine, on espeak-ng speech.
benchmark-scripts: $(STAMP)
	$(BIN)/python bench/scripts.py

# sm-tui compare's matrix on a shared recording: both models, batch and real time at max_delay
# 0.7 and 2, on the local engine; the command's own JSON becomes the results.
benchmark-matrix: $(STAMP)
	$(BIN)/python bench/matrix.py $(MATRIX)

# The engine's memory under hostile batch input (three 4-hour uploads at once).
benchmark-memory: $(STAMP)
	$(BIN)/python bench/memory.py

# The API fuzzers of `make test` with fresh seeds and many more examples (FUZZ_EXAMPLES).
FUZZ_EXAMPLES ?= 2000
fuzz: $(STAMP)
	SM_TUI_FUZZ_SEED=random SM_TUI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -s \
		tests/integration/test_batch_contract.py tests/integration/test_realtime_contract.py

# One live session fed speech at 1x beside a stream of batch jobs, a row a minute: memory, lag,
# file descriptors, the job store. 30 minutes unless SOAK='--hours 2'; exits 1 if a trend grew.
soak: $(STAMP)
	$(BIN)/python bench/soak.py $(SOAK)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sm-tui needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,dev]'
	@touch $@

$(LEGACY_STAMP): $(STAMP)
	$(PYTHON) -m venv $(LEGACY)
	$(LEGACY)/bin/python -m pip install --quiet 'speechmatics-python==5.0.0.post1'
	@touch $@

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
