"""Finding, reading and validating the course's notebooks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from course_lib.learner import CourseNotFound, course_root

__all__ = ["CourseNotFound", "find_root", "NAME_RE", "ANSWER_TAG", "CHECK_TAG", "BEGIN", "END", "NotebookError",
           "chapter_of", "course_notebooks", "read_notebook", "tags", "exercise_of", "exercises"]

def find_root(root: str | Path | None = None) -> Path:
    """The course the instructor's tools act on: ``root`` if given, else the folder at or above the working
    directory that holds ``pyproject.toml`` and ``solutions/``; never where this package is installed (a
    second checkout using the same environment acts on itself). Raises CourseNotFound (a ValueError)."""
    return course_root(root, needs="solutions")


def __getattr__(name: str):
    # ``ROOT`` is the course found from the working directory at the moment it is read (kept for modules
    # that import it; new code calls find_root() and takes a ``root`` argument).
    if name == "ROOT":
        return find_root()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


NAME_RE = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
ANSWER_TAG, CHECK_TAG = "answer", "check"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


class NotebookError(ValueError):
    """A notebook that cannot be used: not JSON, wrong nbformat, bad structure."""


def chapter_of(path: Path) -> str:
    """'02' for '02_hebbian.ipynb'; raise NotebookError for a name outside the scheme."""
    m = NAME_RE.match(Path(path).name)
    if not m:
        raise NotebookError(f"{path}: name must look like NN_topic.ipynb")
    return m.group(1)


def course_notebooks(root: Path | None = None, folders: tuple[str, ...] = ("notebooks", "solutions"),
                     only: set[str] | None = None) -> list[Path]:
    """Notebooks in course order: chapter by chapter, the lecture before the assignment (``root``: the
    course's folder, taken as given; default: found from the working directory)."""
    root = Path(root) if root is not None else find_root()
    found = []
    for rank, folder in enumerate(folders):
        for p in sorted((root / folder).glob("*.ipynb")):
            ch = chapter_of(p)
            if only is None or ch in only:
                found.append((ch, rank, p))
    return [p for _, _, p in sorted(found)]


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook; NotebookError says what is wrong with the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise NotebookError(f"{path}: cannot read ({err})") from None
    if not text.strip():
        raise NotebookError(f"{path}: the file is empty")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(f"{path}: not valid JSON (line {err.lineno}: {err.msg})") from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise NotebookError(f"{path}: JSON but not a notebook (no 'cells')")
    if raw.get("nbformat") != 4:
        raise NotebookError(f"{path}: nbformat {raw.get('nbformat')} is not supported; save it as nbformat 4")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several types
        raise NotebookError(f"{path}: invalid notebook ({str(err).splitlines()[0]})") from None
    return nb


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercise_of(cell) -> str | None:
    """The exercise name a cell belongs to (cell metadata ``course.exercise``)."""
    return cell.get("metadata", {}).get("course", {}).get("exercise")


def exercises(nb) -> list[dict]:
    """[{'name', 'points', 'answer_id', 'check_id'}] in notebook order."""
    out: dict[str, dict] = {}
    for cell in nb.cells:
        name = exercise_of(cell)
        if not name:
            continue
        entry = out.setdefault(name, {"name": name, "points": 0, "answer_id": None, "check_id": None})
        if ANSWER_TAG in tags(cell):
            entry["answer_id"] = cell.get("id")
            entry["points"] = cell["metadata"]["course"].get("points", 1)
        if CHECK_TAG in tags(cell):
            entry["check_id"] = cell.get("id")
    return list(out.values())
