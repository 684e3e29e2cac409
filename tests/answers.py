"""The solved assignments' answers as plain functions, read from solutions/ (shared by the check tests)."""

from __future__ import annotations

import importlib

from conftest import ROOT

from course_tools.build import strip_solutions
from course_tools.notebooks import ANSWER_TAG, exercises, read_notebook, tags

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def notebook(chapter: str):
    return read_notebook(next(p for p in SOLUTIONS if p.name.startswith(chapter)))


def _namespace(chapter: str, stubs: bool) -> dict:
    """Run the parameters cell, the imports cell (the first untagged code cell) and every answer cell."""
    nb = notebook(chapter)
    code = [c for c in nb.cells if c.cell_type == "code"]
    imports = next(c for c in code if not tags(c))
    ns: dict = {"__name__": f"answers_{chapter}"}
    for cell in code:
        if "parameters" in tags(cell) or cell is imports or ANSWER_TAG in tags(cell):
            source = strip_solutions(cell.source) if stubs and ANSWER_TAG in tags(cell) else cell.source
            exec(compile(source, f"<solutions/{chapter} {cell.get('id')}>", "exec"), ns)
    return ns


def answers(chapter: str, stubs: bool = False) -> dict:
    """{exercise: function} from solutions/NN_*.ipynb (with ``stubs``, as the learner first sees them)."""
    ns = _namespace(chapter, stubs)
    return {e["name"]: ns[e["name"]] for e in exercises(notebook(chapter))}


def checker(chapter: str):
    return importlib.import_module(f"course_lib.checks.ch{chapter}")


CHAPTERS = [p.name[:2] for p in SOLUTIONS]
