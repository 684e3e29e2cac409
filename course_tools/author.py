"""Helpers for maintainers writing notebooks from Python: stable cell ids, tags, metadata.

    from course_tools.author import md, code, answer, check, parameters, write
    write("solutions/01_energy.ipynb", [md("# Title"), parameters(), answer("energy", 3, src), check("energy")])

Answer and check cells get ids ``<exercise>-answer`` and ``<exercise>-check`` (the grader
matches a learner's answer to the instructor's copy by that id); other cells get ids
from their position.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

PARAMETERS = '''# Parameters (papermill injects its own values below this cell when it runs the course)
FAST = None  # None reads COURSE_FAST, where 1 means small and quick experiments
SEED = 0'''


# The course's public repository, used only by the Colab set-up cell and the README's badges.
REPO_URL = "https://github.com/hopfield-course/hopfield-to-attention"

COLAB_SETUP = f'''# On Google Colab only: fetch the course (library and bundled data) when it is missing. A local
# checkout has it already, and nothing here touches the network unless this runs on Colab.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("course_lib") is None and "google.colab" in sys.modules:
    repo = "{REPO_URL}"
    subprocess.check_call(["git", "clone", "-q", "--depth", "1", repo, "/content/course"])
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/course"])
    sys.path.insert(0, "/content/course")'''


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str, tags: tuple[str, ...] = ()):
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def parameters(extra: str = ""):
    return code(PARAMETERS + ("\n" + extra.strip("\n") if extra else ""), tags=("parameters",))


def answer(exercise: str, points: int, text: str):
    cell = code(text, tags=("answer",))
    cell.metadata["course"] = {"exercise": exercise, "points": points}
    cell.id = f"{exercise}-answer"
    return cell


def check(exercise: str, call: str | None = None):
    cell = code(call or f"check.{exercise}({exercise})", tags=("check",))
    cell.metadata["course"] = {"exercise": exercise}
    cell.id = f"{exercise}-check"
    return cell


def write(path: str | Path, cells: list, chapter: str | None = None) -> Path:
    """Write a notebook with a Python 3 kernelspec, stable ids and no outputs."""
    cells = list(cells)
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), None)
    if first_code is not None and "parameters" in cells[first_code].metadata.get("tags", []):
        cells.insert(first_code, code(COLAB_SETUP, tags=("setup",)))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    if chapter:
        nb.metadata["course"] = {"chapter": chapter}
    stem = Path(path).stem
    for i, cell in enumerate(nb.cells):
        if not cell.id.endswith(("-answer", "-check")):
            cell.id = f"{stem[:2]}-{i:03d}"
    nbformat.validate(nb)
    path = Path(path)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path
