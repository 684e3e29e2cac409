"""The set-up and parameters cells: one address, collapsed with a caption, and a Colab cell that fails clearly."""

import subprocess
import sys

import pytest
from conftest import ROOT

from course_tools import author
from course_tools.notebooks import course_notebooks, read_notebook, tags

ALL = course_notebooks(folders=("notebooks", "solutions", "exercises"))

# Runs a set-up cell's source as it would run on Colab before the course is there: google.colab is
# imported and course_lib cannot be found. A cell that touches anything else would show up here.
COLAB = """
import importlib.util, sys, types
sys.modules["google.colab"] = types.ModuleType("google.colab")
_find = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name == "course_lib" else _find(name, *a)
"""
NO_COURSE = """
import importlib.util
_find = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name == "course_lib" else _find(name, *a)
"""


def _run_cell(source: str, prelude: str, env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    script = tmp_path / "cell.py"
    script.write_text(prelude + "\n" + source + "\nprint('cell finished')\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env_extra}
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_setup_and_parameters_cells_are_the_authors_collapsed_with_a_caption(path):
    cells = read_notebook(path).cells
    setup = [c for c in cells if "setup" in tags(c)]
    params = [c for c in cells if "parameters" in tags(c)]
    assert len(setup) == 1 and len(params) == 1
    assert setup[0].source == author.COLAB_SETUP, "stale set-up cell: run `python -m course_tools.author --refresh`"
    assert params[0].source.startswith(author.PARAMETERS)
    for cell in (setup[0], params[0]):
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, "the cell must be collapsed"
        caption = cell.source.splitlines()[0]
        assert caption.startswith("# ") and "(collapsed)" in caption and len(caption) <= 110


def test_the_address_is_set_in_one_place():
    """author.REPO_URL is the address; the set-up cell, the README's badges and the site use it."""
    assert author.REPO_URL.startswith("https://github.com/")
    assert author.COLAB_SETUP.count(author.REPO_URL) == 1
    owner_repo = author.REPO_URL.removeprefix("https://github.com/")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"/gh/{owner_repo}/" in readme and f"/github/{owner_repo}/" in readme
    site = (ROOT / "course_tools" / "site.py").read_text(encoding="utf-8")
    assert "REPO_URL" in site and owner_repo not in site


def test_refresh_rewrites_only_those_cells_and_keeps_extra_parameters(tmp_path):
    old_setup = author.code("# old set-up\nprint('old')", tags=("setup",))
    params = author.code("# old caption\nFAST = None\nSEED = 0\nN_UNITS = 64", tags=("parameters",))
    nb_path = author.write(tmp_path / "01_x.ipynb", [author.md("# T"), old_setup, params, author.code("x = 1")])
    assert author.refresh_machinery(nb_path) is True
    cells = read_notebook(nb_path).cells
    setup = [c for c in cells if "setup" in tags(c)]
    assert len(setup) == 1 and setup[0].source == author.COLAB_SETUP
    assert cells[2].source == author.PARAMETERS + "\nN_UNITS = 64"
    assert cells[0].source == "# T" and cells[-1].source == "x = 1"
    assert author.refresh_machinery(nb_path) is False  # idempotent


def test_setup_cell_does_nothing_where_the_course_is_installed(tmp_path):
    done = _run_cell(author.COLAB_SETUP, "", {"PYTHONPATH": str(ROOT)}, tmp_path)
    assert done.returncode == 0 and "cell finished" in done.stdout, done.stderr


def test_setup_cell_without_the_course_outside_colab_says_how_to_get_it(tmp_path):
    done = _run_cell(author.COLAB_SETUP, NO_COURSE, {}, tmp_path)
    assert done.returncode != 0
    assert "ModuleNotFoundError: course_lib is not installed" in done.stderr and "make lab" in done.stderr


def test_setup_cell_on_colab_fails_clearly_when_the_address_is_not_set(tmp_path):
    done = _run_cell(author.colab_setup(repo_url=""), COLAB, {}, tmp_path)
    assert done.returncode != 0 and "cell finished" not in done.stdout
    assert "RuntimeError: the course's repository address is not set" in done.stderr


def test_setup_cell_on_colab_fails_clearly_when_the_address_is_unreachable(tmp_path):
    missing = tmp_path / "no-such-repository.git"
    done = _run_cell(author.COLAB_SETUP, COLAB, {"COURSE_REPO": str(missing)}, tmp_path)
    assert done.returncode != 0 and "cell finished" not in done.stdout
    assert f"RuntimeError: cannot fetch the course from {missing}" in done.stderr
    assert "Check the address" in done.stderr
