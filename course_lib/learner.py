"""The learner's side of the `course` command: a working copy of each assignment, kept apart.

``course start 02`` copies ``exercises/02_hebbian.ipynb`` into the git-ignored ``work/`` folder of the
course (never over an existing copy) and says how to open it; ``course check`` with no notebook, or with a
chapter number, checks that copy. ``exercises/`` holds only generated stubs, so rebuilding it, running the
tests or pulling a new version of the course never touches the learner's work.

This module needs nothing but the standard library, so a student release (without the instructor's
``course_tools``) can expose ``course start`` and ``course check`` through :func:`main`. The course is
found from the working directory (walking up to the folder with ``pyproject.toml`` and ``exercises/``) or
from an explicit ``--root``, never from where this package is installed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WORK_DIR", "LearnerError", "CourseNotFound", "StartResult", "find_course_root", "course_root",
           "chapter_number", "start", "describe_start", "resolve_learner_notebook", "add_start_parser",
           "add_check_arguments", "run_start", "run_check", "at_least", "main"]

WORK_DIR = "work"
_CHAPTER_RE = re.compile(r"^\d{1,2}$")


class LearnerError(ValueError):
    """A learner's request that cannot be served: the message says what to do instead."""


class CourseNotFound(LearnerError):
    """No course folder at or above the working directory (or at ``--root``)."""


@dataclass(frozen=True)
class StartResult:
    """What ``course start`` did: the learner's copy, and whether it was made now (False: it existed)."""

    path: Path
    created: bool
    source: Path


def _is_course(folder: Path, needs: str) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / needs).is_dir()


def find_course_root(start: str | Path | None = None, needs: str = "exercises") -> Path:
    """The course folder: ``start`` (default: the working directory) or the nearest folder above it that
    holds ``pyproject.toml`` and the folder ``needs`` (``exercises`` for learners, ``solutions`` for the
    instructor's tools). An explicit root is taken as is and must be such a folder."""
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    for folder in (here, *here.parents):
        if _is_course(folder, needs):
            return folder
    raise CourseNotFound(
        f"no course found at {here} or in any folder above it (a course folder holds pyproject.toml and "
        f"{needs}/): run this inside the course's folder, or pass --root PATH")


def course_root(root: str | Path | None, needs: str = "exercises") -> Path:
    """``root`` checked (an explicit folder must itself be the course), or the course found from the cwd."""
    if root is None:
        return find_course_root(needs=needs)
    folder = Path(root).resolve()
    if not _is_course(folder, needs):
        raise CourseNotFound(f"--root {root}: not a course folder (it needs pyproject.toml and {needs}/)")
    return folder


def chapter_number(chapter: str | int) -> str:
    """'02' for 2, '2' or '02'; LearnerError for anything else."""
    text = str(chapter).strip()
    if not _CHAPTER_RE.match(text):
        raise LearnerError(f"chapter must be a number like 2 or 02, got {chapter!r}")
    return text.zfill(2)


def _one(folder: Path, chapter: str) -> Path | None:
    found = sorted(folder.glob(f"{chapter}_*.ipynb"))
    return found[0] if found else None


def start(chapter: str | int, root: str | Path | None = None) -> StartResult:
    """Copy the assignment of ``chapter`` from exercises/ into work/, unless the learner has a copy already.

    An existing copy is never overwritten: the result says so (``created`` is False) and gives its path.
    """
    course = course_root(root)
    number = chapter_number(chapter)
    source = _one(course / "exercises", number)
    if source is None:
        have = sorted({p.name[:2] for p in (course / "exercises").glob("[0-9][0-9]_*.ipynb")})
        raise LearnerError(f"chapter {number} has no assignment in {course / 'exercises'} "
                           f"(chapters: {', '.join(have) or 'none'})")
    work = course / WORK_DIR
    target = work / source.name
    if target.exists():
        return StartResult(target, False, source)
    work.mkdir(exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, tmp)
    tmp.replace(target)  # never a half-written copy under the learner's name
    return StartResult(target, True, source)


def resolve_learner_notebook(target: str | Path | None = None, root: str | Path | None = None) -> Path:
    """The notebook ``course check`` should run.

    - ``None``: the learner's most recently saved copy in work/;
    - a chapter number (``2``, ``02``): the learner's copy of that chapter in work/;
    - anything else: that path, which must exist.
    """
    if target is not None and not _CHAPTER_RE.match(str(target).strip()):
        path = Path(target)
        if not path.is_file():
            raise LearnerError(f"{path}: no such notebook")
        return path
    course = course_root(root)
    work = course / WORK_DIR
    if target is None:
        copies = sorted(work.glob("[0-9][0-9]_*.ipynb"), key=lambda p: p.stat().st_mtime)
        if not copies:
            raise LearnerError(f"you have no working copy in {work} yet: `course start 01` makes one "
                               "(or name a notebook: `course check path/to/notebook.ipynb`)")
        return copies[-1]
    number = chapter_number(target)
    copy = _one(work, number)
    if copy is None:
        raise LearnerError(f"you have no working copy of chapter {number} in {work}: "
                           f"`course start {number}` makes one")
    return copy


def _shown(path: Path) -> str:
    """``path`` as a learner would type it here: relative to the working directory when that is inside
    the same course (``../work/02_hebbian.ipynb`` from notebooks/), absolute otherwise."""
    path, here = path.resolve(), Path.cwd().resolve()
    for folder in (here, *here.parents):
        if _is_course(folder, "exercises"):
            if path.is_relative_to(folder):
                return os.path.relpath(path, here)
            break
    return str(path)


def describe_start(result: StartResult) -> str:
    """The lines ``course start`` prints: what happened, and how to open and check the copy."""
    shown = _shown(result.path)
    in_lab = f"{WORK_DIR}/{result.path.name}"  # JupyterLab's file browser starts at the course's folder
    chapter = result.path.name[:2]
    first = (f"Your working copy of chapter {chapter}: {shown} (copied from {_shown(result.source)})"
             if result.created else
             f"You already have a working copy of chapter {chapter}: {shown} (kept as it is, nothing copied)")
    return "\n".join([
        first,
        f"Open it:   `make lab`, then {in_lab} in the file browser (or: jupyter lab {shown})",
        f"Check it:  course check {chapter}",
        "work/ is yours: `course build`, `make test` and `git pull` never touch it.",
    ])


def at_least(minimum: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum`` (``what`` names the unit in the error)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number of {what}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse


def add_start_parser(sub) -> argparse.ArgumentParser:
    """The ``start`` subcommand (shared with ``course_tools.cli``)."""
    p = sub.add_parser("start", help="copy an assignment into work/ (your working copy) and say how to open it")
    p.add_argument("chapter", help="chapter number, e.g. 02")
    p.add_argument("--root", type=Path, default=None, help="the course folder (default: found from here)")
    return p


def add_check_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``check``: a notebook or chapter (default: your latest working copy)."""
    p.add_argument("notebook", nargs="?", default=None,
                   help="a notebook, or a chapter number for your copy in work/ (default: your latest copy)")
    p.add_argument("--timeout", type=at_least(1, "seconds"), default=300, help="seconds per cell")
    p.add_argument("--exercise", default=None, help="exit 0 only if this exercise passed (for autograding)")
    p.add_argument("--root", type=Path, default=None, help="the course folder (default: found from here)")
    p.add_argument("--report", type=Path, default=None, help="also write the verdicts to this JSON file")
    p.add_argument("--from-report", type=Path, default=None,
                   help="read the verdicts from a --report file instead of running the notebook")


def run_start(args: argparse.Namespace) -> int:
    """``course start``: print what was done; 0 whether the copy was made now or existed already."""
    result = start(args.chapter, root=args.root)
    print(describe_start(result))
    return 0


def run_check(args: argparse.Namespace,
              check: Callable[[Path, int, str | None], int] | None = None) -> int:
    """``course check``: resolve the learner's notebook, then run its checks (``course_lib.checking``, or
    ``check(path, timeout, exercise)`` when given) and return the exit code."""
    path = resolve_learner_notebook(args.notebook, root=args.root)
    print(f"checking {_shown(path)}", flush=True)
    if check is not None:
        return check(path, args.timeout, args.exercise)
    from .checking import run

    return run(argparse.Namespace(**{**vars(args), "notebook": path}))


def main(argv: Sequence[str] | None = None,
         check: Callable[[Path, int, str | None], int] | None = None) -> int:
    """``course start`` and ``course check`` for a learner (what a student release's ``course`` runs)."""
    parser = argparse.ArgumentParser(prog="course", description="From Hopfield networks to attention (learner)")
    sub = parser.add_subparsers(dest="command", required=True)
    add_start_parser(sub)
    add_check_arguments(sub.add_parser("check", help="run your notebook's checks and report each exercise"))
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            return run_start(args)
        return run_check(args, check)
    except LearnerError as err:
        print(f"course {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
