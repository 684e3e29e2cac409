"""Write exercises/ from solutions/: each marked answer region becomes a stub."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .notebooks import BEGIN, END, ROOT, NotebookError, read_notebook

STUB = 'raise NotImplementedError("Exercise: replace this line with your code")'
_REGION = re.compile(r"^([ \t]*)" + re.escape(BEGIN) + r"[^\n]*\n.*?^[ \t]*" + re.escape(END) + r"[^\n]*$",
                     re.MULTILINE | re.DOTALL)


def strip_solutions(source: str, where: str = "") -> str:
    """Replace every BEGIN/END SOLUTION region with an indented stub; refuse unbalanced markers."""
    if source.count(BEGIN) != source.count(END):
        raise NotebookError(f"{where}: unbalanced solution markers ({source.count(BEGIN)} BEGIN, "
                            f"{source.count(END)} END)")
    out = _REGION.sub(lambda m: m.group(1) + "# YOUR CODE HERE\n" + m.group(1) + STUB, source)
    if BEGIN in out or END in out:
        raise NotebookError(f"{where}: a solution marker is misplaced or nested")
    return out


def exercise_notebook(solution: nbformat.NotebookNode, where: str = "") -> nbformat.NotebookNode:
    """The learner's version of a solved notebook: stubs in, outputs out, ids and tags kept."""
    nb = nbformat.from_dict(solution)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{where} cell {index}")
            cell.outputs = []
            cell.execution_count = None
    return nb


def build(root: Path = ROOT, check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) exercises/ for every notebook in solutions/.

    Returns the list of stale or written files; with ``check`` an empty list means up to date.
    """
    changed = []
    out_dir = root / "exercises"
    out_dir.mkdir(exist_ok=True)
    expected = set()
    for src in sorted((root / "solutions").glob("*.ipynb")):
        target = out_dir / src.name
        expected.add(target.name)
        text = nbformat.writes(exercise_notebook(read_notebook(src), str(src))) + "\n"
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            changed.append(str(target.relative_to(root)))
            if not check:
                target.write_text(text, encoding="utf-8")
    for extra in sorted(out_dir.glob("*.ipynb")):
        if extra.name not in expected:
            changed.append(f"{extra.relative_to(root)} (no matching solution)")
            if not check:
                extra.unlink()
    return changed
