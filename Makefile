# Classbook: every output of the book from book/ and conf.py. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BUILD  := _build
# One sphinx-build command shape for every output (-c . book $(BUILD)/<out> -d $(BUILD)/doctrees
# -nW --keep-going -q -b <builder>; warnings are errors), run by classbook/publish.py: it builds
# into $(BUILD)/.<out>.staging and replaces $(BUILD)/<out> only when the whole build succeeds,
# holds $(BUILD)/.lock so two builds never mix, and sets SOURCE_DATE_EPOCH to the last commit's
# date when unset (reproducible outputs). Usage: $(SPHINX) <builder> <out> [sphinx-build args]
SPHINX := $(PY) -m classbook build --build-dir $(BUILD)
TEACHER := $(SPHINX) --doctrees $(BUILD)/doctrees-teacher -t teacher
# The builds share the doctrees and the lock: one at a time, even under `make -j`.
.NOTPARALLEL:

.PHONY: help setup book html epub pdf handouts dist bench test lint format clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

SETUP_INPUTS := requirements.txt requirements-dev.txt $(wildcard classbook/setup/*)
$(STAMP): $(SETUP_INPUTS)
	classbook/setup/install-debian-packages.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	classbook/setup/install-node-tools.sh .tools
	touch $@

setup: $(STAMP) ## Create .venv and install Debian and Python packages (done by every target)

book: epub pdf handouts packets html ## Build every output into _build/

epub: $(STAMP) ## EPUB 3 -> _build/epub/
	$(SPHINX) epub epub

pdf: $(STAMP) ## Book PDF, A4 and Letter, student and teacher editions -> _build/pdf/
	$(SPHINX) bookpdf pdf
	$(MAKE) --no-print-directory teacher

handouts: $(STAMP) ## One PDF handout per chapter -> _build/handouts/
	$(SPHINX) handouts handouts

html: epub pdf handouts packets ## Web site, publishing the other outputs as downloads -> _build/html/
	$(SPHINX) html html

# -- Teachers: assignment packets and the teacher edition (classbook/packets.py) ---------
.PHONY: packets packet teacher

packets: $(STAMP) ## Assignment packets from book/assignments/*.yml -> _build/packets/
	$(SPHINX) packets packets

# Command-line variables reach the recipe as environment variables: quotes in TITLE are safe.
packet: $(STAMP) ## One packet without a file: make packet CHAPTERS="2 3 5" TITLE="Week 1" DUE=2026-12-01
	@test -n "$$CHAPTERS" -a -n "$$TITLE" || { echo 'usage: make packet CHAPTERS="2 3 5"' \
	  'TITLE="Week 1" [DUE=2026-12-01] [COURSE=...] [PAPER=a4|letter|both] [INCLUDE=none]' >&2; \
	  exit 2; }
	$(PY) -m classbook packet --build $(BUILD) --title "$$TITLE" --chapters $$CHAPTERS \
	  $${DUE:+--due "$$DUE"} $${COURSE:+--course "$$COURSE"} $${PAPER:+--paper "$$PAPER"} \
	  $${INCLUDE:+--include $$INCLUDE}

# Built apart (own doctrees, -t teacher), then placed beside the student PDFs.
teacher: $(STAMP) ## Teacher edition PDFs -> _build/pdf/<slug>-teacher-a4.pdf, -letter.pdf
	$(TEACHER) bookpdf pdf-teacher
	mkdir -p $(BUILD)/pdf
	cp $(BUILD)/pdf-teacher/*-teacher-*.pdf $(BUILD)/pdf/

dist: book ## Release files -> dist/: site .tar.gz, EPUB, PDFs, handouts, packets, SHA256SUMS
	$(PY) -m classbook dist --build-dir $(BUILD) --dist-dir dist

bench: $(STAMP) ## Print build time and peak memory of every output, cold and warm
	$(PY) -m classbook.bench

test: $(STAMP) ## Run the test suite (builds what it checks)
	$(PY) -m pytest

lint: $(STAMP) ## Check code style with ruff
	$(VENV)/bin/ruff check classbook tests conf.py
	$(VENV)/bin/ruff format --check classbook tests conf.py

format: $(STAMP) ## Reformat code with ruff
	$(VENV)/bin/ruff format classbook tests conf.py
	$(VENV)/bin/ruff check --fix classbook tests conf.py

clean: ## Remove _build/ (keeps .venv)
	rm -rf $(BUILD)
