# From Hopfield networks to attention: every target creates .venv if it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: help course site test lab exercises check-exercises bench lint clean browser

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-build-isolation --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the course (done by every other target)

# --- browser for tests/test_browser.py (Debian's Chromium, driven by Playwright for Python) -----------
# The stamp is written only once Chromium is installed; without root or apt-get the script says how to
# install it and the browser test skips, saying why.
BROWSER := $(VENV)/.browser

$(BROWSER): scripts/install-browser.sh
	@if scripts/install-browser.sh; then test -x "$${COURSE_CHROMIUM:-/usr/bin/chromium}" && touch $@ || true; \
	else echo "install-browser.sh failed: tests/test_browser.py will skip" >&2; fi

browser: $(BROWSER)  ## install Debian's Chromium for the browser test (root; skipped with a note otherwise)
# --- end of browser ------------------------------------------------------------------------------------

# JupyterLab settings the course installs into .venv (no news pop-up): overrides.d is read by every lab
# started from this environment, and leaves the user's own settings alone.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/hopfield-course.json

$(LAB_OVERRIDES): lab-settings/hopfield-course.json $(STAMP)
	@mkdir -p $(dir $@)
	cp $< $@

course: $(STAMP)  ## run the whole course end to end (FAST; FULL=1 for the full-size run), then build the site
	$(BIN)/course run $(if $(FULL),--full,--fast) --jobs $(JOBS) --no-html
	$(MAKE) site

site: $(STAMP)  ## build the course site from build/executed/ into build/site/ (SOLUTIONS=1 adds the solutions)
	$(BIN)/course site $(if $(SOLUTIONS),--with-solutions)

test: $(STAMP) $(BROWSER)  ## run the whole test suite (unit, notebooks, exercises, grader)
	MPLBACKEND=Agg COURSE_FAST=1 $(BIN)/pytest -n $(JOBS) --dist loadfile -q

lab: $(STAMP) $(LAB_OVERRIDES)  ## open JupyterLab in the course's environment (`$(BIN)/course start NN` copies an assignment to work/)
	$(BIN)/jupyter lab

exercises: $(STAMP)  ## regenerate exercises/ from solutions/ (never over a learner's edits; see course build --force)
	$(BIN)/course build

check-exercises: $(STAMP)  ## fail if exercises/ is out of date
	$(BIN)/course build --check

bench: $(STAMP)  ## run the benchmarks (JSON under build/benchmarks/); CHAPTERS=01,03 limits learner_wait.py
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-bench.txt
	@mkdir -p build/benchmarks
	@for b in benchmarks/*.py; do case $$b in */learner_wait.py) continue;; esac; \
	  echo "== $$b"; $(BIN)/python $$b || exit 1; done
	@echo "== benchmarks/learner_wait.py (every lecture and assignment, FULL mode: minutes)"
	$(BIN)/python benchmarks/learner_wait.py $(if $(CHAPTERS),--only $(CHAPTERS))

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check course_lib course_tools tests benchmarks

clean:  ## remove build outputs (keeps .venv)
	rm -rf build
