# Classbook: every output of the book from book/ and conf.py. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BUILD  := _build
# One sphinx-build command shape for every output; warnings are errors.
SPHINX := $(VENV)/bin/sphinx-build -c . book -d $(BUILD)/doctrees -nW --keep-going -q
TEACHER := $(VENV)/bin/sphinx-build -c . book -d $(BUILD)/doctrees-teacher -nW --keep-going -q -t teacher

.PHONY: help setup book html epub pdf handouts test lint format clean

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

book: epub pdf handouts html ## Build every output into _build/

epub: $(STAMP) ## EPUB 3 -> _build/epub/
	$(SPHINX) -b epub $(BUILD)/epub

pdf: $(STAMP) ## Book PDF, A4 and Letter -> _build/pdf/
	$(SPHINX) -b bookpdf $(BUILD)/pdf

handouts: $(STAMP) ## One PDF handout per chapter -> _build/handouts/
	$(SPHINX) -b handouts $(BUILD)/handouts

html: epub pdf handouts ## Web site, publishing the other outputs as downloads -> _build/html/
	$(SPHINX) -b html $(BUILD)/html

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
