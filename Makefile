# Set-up and run commands for mt. Override any variable on the command line, e.g.
#   make install TORCH_SPEC='torch==2.5.1' TORCH_INDEX=https://download.pytorch.org/whl/cpu
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The torch build to install. torch==2.13.0 is a CPU build on our development machines; elsewhere pick
# the build you want (a CPU-only one avoids a multi-GB CUDA download: set TORCH_INDEX to PyTorch's CPU index).
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
CONFIG ?= configs/default.yaml
INPUT ?= seeds
PYTEST_ARGS ?=
COMPARE ?= configs/compare-default.yaml
# The reference for `make compare`: the seed article's English translation where ../shared has it.
REFERENCE ?= $(wildcard ../shared/data/seed/article-000.en.txt)

.PHONY: install translate compare test test-all lint bench clean

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH_SPEC)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install --quiet -e '.[dev,ct2,ray]'

translate:
	$(BIN)/mt translate --config $(CONFIG) --input $(INPUT)

compare:
	$(BIN)/mt compare $(COMPARE) --input $(INPUT) $(if $(REFERENCE),--reference $(REFERENCE))

# The default suite (slow tests included); `make test PYTEST_ARGS="-m 'not slow'"` for the quick part.
test:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks, not part of `make test`: segmentation boundary P/R/F1 against pysbd, sentencex, spaCy and a regex
# on real Arabic (NTREX-128, TICO-19: MT_SEGMENT_DATA or ../data), the
# aligner's F1 on a gold set made from the seed article and on partial documents, on Text+Berg (with long-document
# time and memory) and on MAC (Chinese-English literary: --mac DIR or MT_ALIGN_MAC), translation speed (writes
# benchmarks/results.json), the page faults the allocator setting saves,
# and corpus mode: the Ray driver's peak memory for 10,000 vs 200,000 documents, Ray with 1 vs 2 workers.
bench:
	$(BIN)/python benchmarks/segmentation.py
	$(BIN)/python benchmarks/alignment.py
	$(BIN)/python benchmarks/textberg.py
	$(BIN)/python benchmarks/mac.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/allocator.py
	$(BIN)/python benchmarks/corpus.py
	$(BIN)/python benchmarks/quality.py

# ruff, mypy, and the import contract of pyproject.toml (which layer may import which: README, "How the code is laid out")
lint:
	$(BIN)/ruff check mt tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
