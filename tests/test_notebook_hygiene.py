"""Course notebooks: no committed outputs, a parameters cell, time estimates, references."""

import pytest
from conftest import ROOT

from course_tools.notebooks import BEGIN, course_notebooks, read_notebook, tags

ALL = course_notebooks(folders=("notebooks", "solutions", "exercises"))


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_clean(path):
    nb = read_notebook(path)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code_cells), "strip outputs before committing"
    assert "setup" in tags(code_cells[0]) and "google.colab" in code_cells[0].source, \
        "the first code cell is the Colab set-up cell (author.write adds it)"
    assert "parameters" in tags(code_cells[1]), "the second code cell must be tagged 'parameters'"
    assert "FAST" in code_cells[1].source and "SEED" in code_cells[1].source
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Time:" in text, "say how long the notebook takes"
    if path.parent.name == "exercises":
        assert all(BEGIN not in c.source for c in nb.cells), "a solution leaked into exercises/"
    if path.parent.name == "notebooks":
        assert "## References" in text, "lectures end with references"
        assert "min)" in text, "each lecture section carries a time estimate"


def test_every_chapter_has_a_lecture_and_an_assignment():
    lectures = {p.name[:2] for p in (ROOT / "notebooks").glob("*.ipynb")}
    assignments = {p.name[:2] for p in (ROOT / "solutions").glob("*.ipynb")}
    assert lectures == assignments and "01" in lectures
