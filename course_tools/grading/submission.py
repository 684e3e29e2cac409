"""The instructor's plan of a chapter (read once) and a student's file (read defensively).

:func:`build_plan` reads the instructor's solution once, in the grading process: the exercise
notebook's cells (stubs in the answer cells, check cells turned into "grade this exercise here",
imports of the checks removed from the instructor's cells), each exercise's points and the names
its checker declares (library twin, allowed helpers, forbidden names). The plan is plain data, so
it can be sent to worker processes and Dask workers as it is.

:func:`read_submission` never raises for a bad file and :func:`student_answers` takes only the
answer cells (by id, else by tag + metadata); nothing else in a student's file is used.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..build import exercise_notebook
from ..notebooks import ANSWER_TAG, CHECK_TAG, NotebookError, exercise_of, read_notebook, tags
from .screen import course_lib_bindings, strip_check_imports

__all__ = ["PlanCell", "ExercisePlan", "Plan", "build_plan", "read_submission", "student_answers",
           "MAX_SUBMISSION_BYTES"]

MAX_SUBMISSION_BYTES = 20 * 2**20
_CHECK_RE = re.compile(r"^\s*check\.(\w+)\((\w+)\)\s*$")


@dataclass(frozen=True)
class PlanCell:
    kind: str                  # code (the instructor's) | answer | check
    source: str
    exercise: str = ""
    argument: str = ""         # for a check: the name of the learner's function


@dataclass(frozen=True)
class ExercisePlan:
    name: str
    points: float
    twin: tuple[str, str] | None = None     # (module, qualified name) of the library's version
    allowed: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    chapter: str
    solution: str
    cells: tuple[PlanCell, ...]
    exercises: tuple[ExercisePlan, ...]
    course_names: frozenset[str]

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.exercises]

    def exercise(self, name: str) -> ExercisePlan:
        return next(e for e in self.exercises if e.name == name)


def instructor_solution(chapter: str, root: Path) -> Path:
    found = sorted((Path(root) / "solutions").glob(f"{chapter}_*.ipynb"))
    if not found:
        raise NotebookError(f"no solution notebook for chapter {chapter} in {root}/solutions")
    return found[0]


class _Declared(Exception):
    def __init__(self, twin, allowed, forbidden):
        self.twin, self.allowed, self.forbidden = twin, tuple(allowed), tuple(forbidden)


def _declared(chapter: str, name: str) -> tuple[tuple[str, str] | None, tuple[str, ...], tuple[str, ...]]:
    """What the checker of ``name`` declares to its ``before`` hook (without running any case)."""
    from course_lib.checks import _core

    checks = importlib.import_module(f"course_lib.checks.ch{chapter}")
    checker = getattr(checks, name, None)
    if checker is None:
        raise NotebookError(f"course_lib.checks.ch{chapter} has no checker named {name!r}")

    def before(exercise, twin, allowed, forbidden):
        raise _Declared(twin, allowed, forbidden)

    def never(*args, **kwargs):
        raise NotImplementedError

    _core.set_grading_context(_core.GradingContext(salt=0, before=before))
    try:
        checker(never)
    except _Declared as found:
        twin = None
        if found.twin is not None:
            target = getattr(found.twin, "__func__", found.twin)
            twin = (str(target.__module__), str(target.__qualname__))
        return twin, found.allowed, found.forbidden
    except Exception:  # noqa: BLE001 - a checker that never reaches run_cases declares nothing
        return None, (), ()
    finally:
        _core.set_grading_context(None)
    return None, (), ()


def build_plan(chapter: str, root: Path) -> Plan:
    """Read the instructor's solution of ``chapter`` once and turn it into a plan."""
    path = instructor_solution(chapter, root)
    solution = read_notebook(path)
    nb = exercise_notebook(solution, str(path))
    cells: list[PlanCell] = []
    exercises: list[ExercisePlan] = []
    instructor_sources: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        name = exercise_of(cell)
        if name and ANSWER_TAG in tags(cell):
            twin, allowed, forbidden = _declared(chapter, name)
            points = float(cell.metadata["course"].get("points", 1))
            exercises.append(ExercisePlan(name, points, twin, allowed, forbidden))
            cells.append(PlanCell("answer", cell.source, name))
        elif name and CHECK_TAG in tags(cell):
            m = _CHECK_RE.match(cell.source)
            if not m or m.group(1) != name:
                raise NotebookError(f"instructor check cell for {name!r} must read check.{name}(<answer>)")
            cells.append(PlanCell("check", "", name, m.group(2)))
        else:
            instructor_sources.append(cell.source)
            cells.append(PlanCell("code", strip_check_imports(cell.source)))
    if not exercises:
        raise NotebookError(f"{path} has no exercise")
    return Plan(chapter, str(path), tuple(cells), tuple(exercises),
                frozenset(course_lib_bindings(instructor_sources)))


def read_submission(path: Path, chapter: str) -> tuple[nbformat.NotebookNode | None, str, str]:
    """(notebook or None, status, message); never raises for a bad file."""
    path = Path(path)
    if path.is_symlink():
        return None, "symlink", "the submission is a symbolic link; submit the notebook file itself"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        return None, "unreadable", f"cannot open the file ({err.strerror})"
    try:
        import stat
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "unreadable", "not a regular file"
        if info.st_size > MAX_SUBMISSION_BYTES:
            return None, "too_large", f"the file is larger than {MAX_SUBMISSION_BYTES // 2**20} MB"
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(MAX_SUBMISSION_BYTES + 1)
    finally:
        os.close(fd)
    if not raw.strip():
        return None, "empty", "the file is empty"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        return None, "invalid_json", f"not valid JSON: {str(err)[:200]}"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, "invalid_notebook", "JSON, but not a notebook (no list of cells)"
    if data.get("nbformat") != 4:
        return None, "wrong_nbformat", f"nbformat {str(data.get('nbformat'))[:20]!r}; save the notebook as nbformat 4"
    if not all(isinstance(c, dict) for c in data["cells"]):
        return None, "invalid_notebook", "a cell of the notebook is not a JSON object"
    try:
        nb = nbformat.from_dict(data)
    except Exception as err:  # noqa: BLE001 - whatever a malformed file makes nbformat raise
        return None, "invalid_notebook", f"invalid notebook: {str(err)[:200]}"
    metadata = data.get("metadata")
    course = metadata.get("course") if isinstance(metadata, dict) else None
    declared = course.get("chapter") if isinstance(course, dict) else None
    if declared is not None and str(declared) != chapter:
        return None, "wrong_chapter", f"this is a notebook of chapter {str(declared)[:10]}, not {chapter}"
    return nb, "ok", ""


def _text(source) -> str | None:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return None


def student_answers(nb, names: list[str]) -> dict[str, str]:
    """Answer sources by exercise: by cell id first, then by tag + metadata; first match wins."""
    found: dict[str, str] = {}
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"]
    for cell in cells:
        cid = cell.get("id", "")
        text = _text(cell.get("source", ""))
        if isinstance(cid, str) and cid.endswith("-answer") and cid[:-7] in names and cid[:-7] not in found \
                and text is not None:
            found[cid[:-7]] = text
    for cell in cells:
        metadata = cell.get("metadata")
        course = metadata.get("course") if isinstance(metadata, dict) else None
        name = course.get("exercise") if isinstance(course, dict) else None
        cell_tags = metadata.get("tags", []) if isinstance(metadata, dict) else []
        text = _text(cell.get("source", ""))
        if isinstance(name, str) and name in names and name not in found and isinstance(cell_tags, list) \
                and ANSWER_TAG in cell_tags and text is not None:
            found[name] = text
    return found
