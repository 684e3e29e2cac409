# From Hopfield networks to attention: every target creates .venv if it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: help course test lab exercises check-exercises bench lint clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-build-isolation --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the course (done by every other target)

course: $(STAMP)  ## run the whole course end to end (FAST; FULL=1 for the full-size run)
	$(BIN)/course run $(if $(FULL),--full,--fast) --jobs $(JOBS)

test: $(STAMP)  ## run the whole test suite (unit, notebooks, exercises, grader)
	MPLBACKEND=Agg COURSE_FAST=1 $(BIN)/pytest -n $(JOBS) --dist loadfile -q

lab: $(STAMP)  ## open JupyterLab in the course's environment
	$(BIN)/jupyter lab

exercises: $(STAMP)  ## regenerate exercises/ from solutions/
	$(BIN)/course build

check-exercises: $(STAMP)  ## fail if exercises/ is out of date
	$(BIN)/course build --check

bench: $(STAMP)  ## run the benchmarks (JSON under build/benchmarks/)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-bench.txt
	@mkdir -p build/benchmarks
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check course_lib tests benchmarks

clean:  ## remove build outputs (keeps .venv)
	rm -rf build
