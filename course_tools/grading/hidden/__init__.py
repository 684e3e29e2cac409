"""The instructor's hidden cases: extra inputs and edge cases the public checks do not have.

Instructor-only (``course_tools`` is not shipped to learners). Each ``chNN`` module defines
``HIDDEN: dict[str, Callable[[fn], list[tuple[str, Callable[[], None]]]]]``: for an exercise,
a function that takes the stand-in ``fn`` (each call runs in the student's kernel) and returns
named cases, run by :func:`course_lib.checks._core.run_cases` after the public ones when a
:class:`~course_lib.checks._core.GradingContext` carries them. Cases only call ``fn`` and compare
what comes back, in the grader's process; references here may be private (they are never shipped).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

__all__ = ["CHAPTERS", "hidden_cases", "all_hidden"]

CHAPTERS = ("ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07")


def hidden_cases(chapter: str) -> dict[str, Callable]:
    """The ``HIDDEN`` table of one chapter (``"ch01"`` or ``"01"``); ValueError for an unknown chapter."""
    name = chapter if chapter.startswith("ch") else f"ch{chapter}"
    if name not in CHAPTERS:
        raise ValueError(f"chapter must be one of {', '.join(CHAPTERS)}, got {chapter!r}")
    return dict(import_module(f"{__name__}.{name}").HIDDEN)


def all_hidden() -> dict[str, Callable]:
    """Every chapter's hidden cases in one table, keyed by exercise name (names are unique)."""
    table: dict[str, Callable] = {}
    for chapter in CHAPTERS:
        for exercise, cases in hidden_cases(chapter).items():
            if exercise in table:
                raise ValueError(f"exercise {exercise!r} has hidden cases in two chapters")
            table[exercise] = cases
    return table
