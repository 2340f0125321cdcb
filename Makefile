# Classbook: every output of the book from book/ and conf.py. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV   ?= .venv
PY     := $(VENV)/bin/python
BUILD  := _build
# One process builds every output named (classbook/publish/orchestrator.py): a Sphinx read per
# edition (student; teacher with -t teacher), every builder over it, one WeasyPrint pool and
# render cache for all PDFs, then each changed output is swapped into $(BUILD)/<output>
# atomically; nothing is published unless everything succeeded. The Sphinx command shape
# for anyone running Sphinx directly: sphinx-build -b <builder> -c . book <out> -nW --keep-going
BUILD_CMD := $(PY) -m classbook build --build-dir $(BUILD)
# The builds share the work area and the lock: one at a time, even under `make -j`.
.NOTPARALLEL:

# The values people give targets (make packet TITLE='Trip costs $5') reach the commands as
# written, through the environment: make would otherwise expand "$5" to nothing and run
# "$(shell …)" inside a title. Recipes read them as shell variables ("$$TITLE").
ARGUMENTS := CHAPTERS TITLE DUE COURSE PAPER INCLUDE SOURCE DEST AUTHOR LANGUAGE LICENSE URL \
  PIPELINE CARTRIDGE PORT
$(foreach name,$(ARGUMENTS),$(eval override $(name) := $$(value $(name))))
export $(ARGUMENTS)

.PHONY: help setup book html epub pdf handouts dist verify draft preview new-book bench corpus test test-fast docs lint format clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

SETUP_INPUTS := pyproject.toml requirements.txt requirements-dev.txt $(wildcard classbook/setup/*) \
  $(wildcard classbook/formulas/node/package*.json)
# The set-up is keyed by the bytes of what it installs from, not by file dates: a fresh clone
# or a virtualenv shared by several books (make book VENV=../shared-venv) is not set up again
# for the same requirements.
STAMP := $(VENV)/.installed-$(shell cat $(SETUP_INPUTS) | sha256sum | cut -c1-16)
$(STAMP):
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m classbook setup-machine
	classbook/setup/install-node-tools.sh .tools
	rm -f $(VENV)/.installed*
	touch $@

setup: $(STAMP) ## Create .venv and install Debian and Python packages (done by every target)

book: $(STAMP) ## Build every output into _build/ (one process, one render pool)
	$(BUILD_CMD) all

epub: $(STAMP) ## EPUB 3 -> _build/epub/
	$(BUILD_CMD) epub

pdf: $(STAMP) ## Book PDF, A4 and Letter, student and teacher editions -> _build/pdf/
	$(BUILD_CMD) pdf

handouts: $(STAMP) ## One PDF handout per chapter -> _build/handouts/
	$(BUILD_CMD) handouts

html: $(STAMP) ## Web site with the other outputs as downloads (builds them too) -> _build/html/
	$(BUILD_CMD) html

# -- Teachers: assignment packets and the teacher edition (classbook/builders/packets.py) ---------
.PHONY: packets packet cartridge teacher

packets: $(STAMP) ## Assignment packets from book/assignments/*.yml -> _build/packets/
	$(BUILD_CMD) packets

# The arguments reach the recipe as environment variables (ARGUMENTS above): quotes and
# dollar signs in TITLE are safe.
packet: $(STAMP) ## One packet without a file: make packet CHAPTERS="2 3 5" TITLE="Week 1" DUE=2026-12-01
	@test -n "$$CHAPTERS" -a -n "$$TITLE" || { echo 'usage: make packet CHAPTERS="2 3 5"' \
	  'TITLE="Week 1" [DUE=2026-12-01] [COURSE=...] [PAPER=a4|letter|both] [INCLUDE=none]' \
	  '[CARTRIDGE=1]' >&2; exit 2; }
	$(PY) -m classbook packet --build $(BUILD) --title "$$TITLE" --chapters $$CHAPTERS \
	  $${DUE:+--due "$$DUE"} $${COURSE:+--course "$$COURSE"} $${PAPER:+--paper "$$PAPER"} \
	  $${INCLUDE:+--include $$INCLUDE} $$([ "$${CARTRIDGE:-0}" = 0 ] || echo --cartridge)

# Links to the site's pages: needs its real address (html_baseurl, or the host's).
cartridge: $(STAMP) ## Common Cartridges of the book and assignments for an LMS -> _build/cartridge/
	$(BUILD_CMD) cartridge

# A parse of its own (-t teacher), published beside the student PDFs.
teacher: pdf ## Teacher edition PDFs -> _build/pdf/<slug>-teacher-a4.pdf, -letter.pdf

dist: book ## Release files -> dist/: site .tar.gz, EPUB, PDFs, handouts, packets, cartridges, the pipeline's wheel and sdist, SHA256SUMS
	$(PY) -m classbook dist --build-dir $(BUILD) --dist-dir dist --pipeline .

verify: $(STAMP) ## Count the source's paragraphs found verbatim in each built output
	$(PY) -m classbook verify --build-dir $(BUILD)

# A draft shows what the build leaves out or refuses to publish (an image without alt text,
# say): its warnings are printed, not fatal, and it is written to _build/draft/, which
# nothing publishes.
draft: $(STAMP) ## A readable draft of the web site in _build/draft/ (never published)
	$(PY) -m sphinx -b html -c . book $(BUILD)/draft -n --keep-going -q \
	  -D html_title="DRAFT: not for publishing" -D classbook_undescribed_images=refuse

# The site first, rebuilt alone on every save and reloaded in the open pages; the other
# outputs follow in a background build (classbook/publish/preview.py). Ctrl-C stops it.
preview: $(STAMP) ## Serve the site on 127.0.0.1, rebuilt and reloaded on every save (PORT=8000; default: a free port)
	$(PY) -m classbook preview --build-dir $(BUILD) $${PORT:+--port "$$PORT"}

# -- The pipeline itself: a new book from a document, benchmarks, lint -------------------
# The arguments reach the recipe as environment variables (ARGUMENTS above): quotes are safe.
new-book: $(STAMP) ## A book project from a document: make new-book SOURCE=doc.docx DEST=../mybook
	@test -n "$$SOURCE" -a -n "$$DEST" || { echo 'usage: make new-book SOURCE=doc.txt|.md|.docx' \
	  'DEST=folder [TITLE=...] [AUTHOR=...] [LANGUAGE=en] [LICENSE=...] [URL=...]' \
	  '[PIPELINE=checkout]' >&2; exit 2; }
	$(PY) -m classbook new-book "$$SOURCE" "$$DEST" $${TITLE:+--title "$$TITLE"} \
	  $${AUTHOR:+--author "$$AUTHOR"} $${LANGUAGE:+--language "$$LANGUAGE"} \
	  $${LICENSE:+--license "$$LICENSE"} $${URL:+--url "$$URL"} \
	  $${PIPELINE:+--pipeline "$$PIPELINE"}

bench: $(STAMP) ## Our pipeline vs the naive one (CHAPTERS="10 50"); a Word file; 500 formulas
	$(PY) tools/bench.py $${CHAPTERS:+--chapters "$$CHAPTERS"}; over=$$?; \
	  $(PY) tools/wordbench.py && $(PY) tools/mathbench.py && exit $$over

corpus: $(STAMP) ## Real documents (tests/realworld/) through new-book, the build and verify: a table
	$(PY) tools/corpus.py

test: $(STAMP) ## Run the test suite (builds what it checks)
	$(PY) -m pytest

test-fast: $(STAMP) ## The tests that build no whole book (under two minutes): the inner loop
	$(PY) -m pytest -m "not book and not build and not browser"

docs: $(STAMP) ## The documentation site (docs/) -> _build/docs/ (warnings are errors)
	$(PY) -m sphinx -b html -nW --keep-going -q docs $(BUILD)/docs

lint: $(STAMP) ## Check code style with ruff and types with mypy
	$(VENV)/bin/ruff check classbook tests tools conf.py
	$(VENV)/bin/ruff format --check classbook tests tools conf.py
	$(VENV)/bin/mypy classbook

format: $(STAMP) ## Reformat code with ruff
	$(VENV)/bin/ruff format classbook tests tools conf.py
	$(VENV)/bin/ruff check --fix classbook tests tools conf.py

clean: ## Remove _build/ (keeps .venv)
	rm -rf $(BUILD)
