"""The checks protocol: independent hidden cases, teaching messages, partial credit.

A checker is a list of named cases. Each case calls the learner's object and uses
:func:`expect`. :func:`run_cases` runs them all, so one wrong case does not hide the
others, and reports ``passed / total`` (the grader turns that into partial credit).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

RESULT_PREFIX = "COURSE-CHECK"


class CaseFailed(Exception):
    """One hidden case went wrong; the message is the feedback."""


class CheckFailed(AssertionError):
    """An exercise's check failed: ``passed`` of ``total`` cases, with feedback."""

    def __init__(self, exercise: str, passed: int, total: int, feedback: list[str]):
        self.exercise, self.passed, self.total, self.feedback = exercise, passed, total, feedback
        lines = "\n".join(f"  - {msg}" for msg in feedback)
        super().__init__(f"{exercise}: {passed}/{total} hidden cases passed.\n{lines}")


class NotAttempted(NotImplementedError):
    """The learner's answer still raises NotImplementedError."""


@dataclass
class CheckResult:
    exercise: str
    passed: int
    total: int
    feedback: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.passed == self.total


def expect(condition, message: str) -> None:
    """Fail the current case with ``message`` unless ``condition`` holds."""
    if not bool(condition):
        raise CaseFailed(message)


def expect_close(got, want, message: str, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Fail unless ``got`` has ``want``'s shape and is elementwise close to it."""
    got_arr = np.asarray(got, dtype=np.float64)
    want_arr = np.asarray(want, dtype=np.float64)
    expect(got_arr.shape == want_arr.shape,
           f"expected an array of shape {want_arr.shape}, got shape {got_arr.shape}")
    expect(np.allclose(got_arr, want_arr, rtol=rtol, atol=atol), message)


def rng_for(exercise: str, case: int = 0) -> np.random.Generator:
    """A generator seeded from the exercise name: the same hidden cases on every run."""
    seed = sum((i + 1) * ord(c) for i, c in enumerate(exercise)) * 1009 + case
    return np.random.default_rng(seed)


def random_spins(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.choice(np.array([-1.0, 1.0]), size=shape)


def _library_refs(fn: Callable) -> list[str]:
    """Names of course_lib objects (other than the checks) that ``fn``'s code refers to."""
    found: list[str] = []
    seen: set[int] = set()

    def visit(code: types.CodeType, glb: dict) -> None:
        if id(code) in seen:
            return
        seen.add(id(code))
        for name in code.co_names:
            obj = glb.get(name)
            mod = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", "") or ""
            if mod.startswith("course_lib") and not mod.startswith("course_lib.checks"):
                found.append(name)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                visit(const, glb)

    code = getattr(fn, "__code__", None)
    if code is not None:
        visit(code, getattr(fn, "__globals__", {}))
    return sorted(set(found))


def own_work(exercise: str, fn: Callable, library_twin: Callable | None = None,
             allowed: Iterable[str] = ()) -> None:
    """Refuse an answer that is, or calls, the library's version of the same thing.

    ``library_twin`` is the course_lib function the exercise asks the learner to write;
    ``allowed`` names library helpers the exercise lets the learner use.
    """
    if not callable(fn):
        raise CheckFailed(exercise, 0, 1, [f"expected a function, got {type(fn).__name__}"])
    target = inspect.unwrap(fn)
    mod = getattr(target, "__module__", "") or ""
    if (library_twin is not None and target is inspect.unwrap(library_twin)) or mod.startswith("course_lib"):
        raise CheckFailed(exercise, 0, 1, [
            "this is course_lib's own function, imported rather than written: "
            "the exercise asks you to write it yourself, so it earns nothing"])
    used = [n for n in _library_refs(target) if n not in set(allowed)]
    if used:
        raise CheckFailed(exercise, 0, 1, [
            f"your answer calls course_lib ({', '.join(used)}): the exercise asks you to write "
            "this yourself with NumPy, so a call to the library earns nothing"])


def run_cases(exercise: str, fn: Callable, cases: list[tuple[str, Callable[[], None]]],
              library_twin: Callable | None = None, allowed: Iterable[str] = ()) -> CheckResult:
    """Run every hidden case; print a pass line, or raise CheckFailed with all feedback."""
    own_work(exercise, fn, library_twin, allowed)
    feedback: list[str] = []
    for name, case in cases:
        try:
            case()
        except NotImplementedError:
            raise NotAttempted(f"{exercise}: not attempted yet (the answer still raises "
                               "NotImplementedError); replace the stub with your code") from None
        except CaseFailed as failure:
            feedback.append(f"{name}: {failure}")
        except Exception as err:  # the learner's code crashed on a hidden case
            feedback.append(f"{name}: your code raised {type(err).__name__}: {err}")
    passed = len(cases) - len(feedback)
    result = CheckResult(exercise, passed, len(cases), feedback)
    if feedback:
        raise CheckFailed(exercise, passed, len(cases), feedback)
    print(f"[pass] {exercise}: {passed}/{len(cases)} hidden cases passed")
    return result
