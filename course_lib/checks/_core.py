"""The checks protocol: independent cases, teaching messages, partial credit.

A checker is a list of named cases. Each case calls the learner's function and uses
:func:`expect`. :func:`run_cases` runs them all, so one wrong case does not hide the
others, and reports ``passed / total`` (the grader turns that into partial credit).

The same checker serves two users:

* the learner, in the notebook: ``fn`` is the learner's own function, the cases are the
  public ones (fixed seeds), and a failure prints a few lines, not a traceback;
* the grader (``course_tools.grading``), in its own trusted process: ``fn`` is a stand-in
  that runs each call in the student's kernel and brings the result back as plain data, so
  the comparison and the verdict never happen where student code runs. The grader installs a
  :class:`GradingContext` that salts every random case (inputs the learner has never seen) and
  adds the instructor's hidden cases, which are not part of this package.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np


class CaseFailed(Exception):
    """One case went wrong; the message is the feedback."""


class CheckFailed(AssertionError):
    """An exercise's check failed: ``passed`` of ``total`` cases, with feedback.

    In IPython it renders as those few lines only (``_render_traceback_``): no traceback of the
    checker's code, whose paths and other cases' hints would only distract.
    """

    def __init__(self, exercise: str, passed: int, total: int, feedback: list[str]):
        self.exercise, self.passed, self.total, self.feedback = exercise, passed, total, feedback
        lines = "\n".join(f"  - {msg}" for msg in feedback)
        super().__init__(f"{exercise}: {passed}/{total} hidden cases passed.\n{lines}")

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31m[fail]\x1b[0m {self}"]


class NotAttempted(NotImplementedError):
    """The learner's answer still raises NotImplementedError."""

    def _render_traceback_(self) -> list[str]:
        return [f"[not attempted] {self}"]


@dataclass
class GradingContext:
    """Set by the grader in its own process (never in a student's kernel).

    ``salt`` changes every random case; ``hidden`` maps an exercise to a function that returns
    extra ``(name, case)`` pairs for a stand-in ``fn``; ``before`` is told the exercise's library
    twin, the library helpers it allows and the ready-made names it forbids, before its cases run.
    """

    salt: int
    hidden: dict[str, Callable] = field(default_factory=dict)
    before: Callable[[str, Callable | None, tuple[str, ...], tuple[str, ...]], None] | None = None


_CONTEXT: GradingContext | None = None


def set_grading_context(context: GradingContext | None) -> None:
    """Install (or, with None, remove) the grading context of this process."""
    global _CONTEXT
    _CONTEXT = context


def grading() -> bool:
    """True in the grader's process, where ``fn`` is a stand-in for the student's function."""
    return _CONTEXT is not None


@dataclass
class CheckResult:
    exercise: str
    passed: int
    total: int
    feedback: list[str] = field(default_factory=list)
    attempted: bool = True

    @property
    def ok(self) -> bool:
        return self.passed == self.total

    def _ipython_display_(self) -> None:
        """Show nothing as a cell's value: the check already printed its one line."""


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


def _close(got, want, rtol: float, atol: float) -> bool:
    try:
        g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return g.shape == w.shape and bool(np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=False))


def expect_match(got, want, message: str, mistakes: Iterable[tuple[object, str]] = (),
                 rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Like :func:`expect_close`, but name the mistake when ``got`` matches a known wrong answer.

    ``mistakes`` holds ``(wrong_value, message)`` pairs: what a typical mistake returns on these
    inputs, and what to tell a learner whose answer equals it. The first match wins; a value that
    matches none gets the general ``message``. (A wrong value that is also right is skipped.)
    """
    got_arr = np.asarray(got, dtype=np.float64)
    want_arr = np.asarray(want, dtype=np.float64)
    expect(got_arr.shape == want_arr.shape,
           f"expected an array of shape {want_arr.shape}, got shape {got_arr.shape}")
    if np.allclose(got_arr, want_arr, rtol=rtol, atol=atol):
        return
    for wrong, why in mistakes:
        if _close(wrong, want_arr, rtol, atol):
            continue
        if _close(got_arr, wrong, rtol, atol):
            raise CaseFailed(why)
    raise CaseFailed(message)


def rng_for(exercise: str, case: int = 0) -> np.random.Generator:
    """A generator seeded from the exercise name: the same public cases on every run.

    When grading, the grader's secret salt joins the seed, so the graded inputs are new.
    """
    seed = sum((i + 1) * ord(c) for i, c in enumerate(exercise)) * 1009 + case
    if _CONTEXT is not None:
        return np.random.default_rng([seed, _CONTEXT.salt])
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
    ``allowed`` names library helpers the exercise lets the learner use. When grading this is
    the grader's job (it reads the answer's source in its own process), so this returns at once.
    """
    if _CONTEXT is not None:
        return
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


def _raised_by_learner(err: BaseException, fn: Callable) -> bool:
    """Did ``err`` come out of the learner's code (rather than the checker's own)?"""
    if getattr(fn, "course_remote", False):
        return type(err).__name__ == "RemoteError"
    code = getattr(inspect.unwrap(fn), "__code__", None)
    if code is None:
        return True
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == code.co_filename:
            return True
        tb = tb.tb_next
    return False


def run_cases(exercise: str, fn: Callable, cases: list[tuple[str, Callable[[], None]]],
              library_twin: Callable | None = None, allowed: Iterable[str] = (),
              forbidden: Iterable[str] = ()) -> CheckResult:
    """Run every case; return the result.

    For the learner: print one ``[pass]`` line, or raise :class:`CheckFailed` with every failed
    case's message (or :class:`NotAttempted`). When grading: add the hidden cases and return the
    result without printing or raising. ``forbidden`` names ready-made functions (outside
    course_lib) that the answer must not use; the grader refuses them from the answer's source.
    """
    allowed, forbidden = tuple(allowed), tuple(forbidden)
    if _CONTEXT is None:
        own_work(exercise, fn, library_twin, allowed)
    else:
        if _CONTEXT.before is not None:
            _CONTEXT.before(exercise, library_twin, allowed, forbidden)
        extra = _CONTEXT.hidden.get(exercise)
        if extra is not None:
            cases = list(cases) + list(extra(fn))
    feedback: list[str] = []
    for name, case in cases:
        try:
            case()
        except NotImplementedError:
            if _CONTEXT is not None:
                return CheckResult(exercise, 0, len(cases), ["not attempted: the answer still raises "
                                                             "NotImplementedError"], attempted=False)
            raise NotAttempted(f"{exercise}: not attempted yet (the answer still raises "
                               "NotImplementedError); replace the stub with your code") from None
        except CaseFailed as failure:
            feedback.append(f"{name}: {failure}")
        except Exception as err:
            if _raised_by_learner(err, fn):
                what = getattr(err, "type_name", type(err).__name__)
                msg = getattr(err, "message", str(err))
                feedback.append(f"{name}: your code raised {what}: {msg}")
            elif type(err).__name__ == "CallFailed":
                feedback.append(f"{name}: no answer came back ({err})")
            else:  # the checker could not use what the function returned: say so, not "your code raised"
                feedback.append(f"{name}: the check could not use what your function returned "
                                f"({type(err).__name__}: {err}); compare its type and shape with the "
                                "exercise's description")
    passed = len(cases) - len(feedback)
    result = CheckResult(exercise, passed, len(cases), feedback)
    if _CONTEXT is not None:
        return result
    if feedback:
        raise CheckFailed(exercise, passed, len(cases), feedback)
    print(f"[pass] {exercise}: {passed}/{len(cases)} hidden cases passed")
    return result


# --------------------------------------------------------------------------- the notebook's side

_CHECK_CELL = re.compile(r"^\s*check\.\w+\s*\(", re.MULTILINE)


def answer_cell_problem(sources: list[str], name: str, transform: Callable[[str], str] = lambda s: s) -> str | None:
    """Why ``name`` is undefined, from the cells run before (newest last): a SyntaxError in its answer cell.

    Returns e.g. "your answer cell for energy has a SyntaxError at line 3: expected ':'", or None when
    the newest cell that defines ``name`` compiles (or no cell defines it).
    """
    defines = re.compile(rf"^\s*(def|class)\s+{re.escape(name)}\b|^\s*{re.escape(name)}\s*=", re.MULTILINE)
    for source in reversed(sources):
        if not defines.search(source):
            continue
        try:
            compile(transform(source), "<answer cell>", "exec")
        except SyntaxError as err:
            kind = type(err).__name__           # SyntaxError, IndentationError or TabError
            return f"your answer cell for {name} has a {kind} at line {err.lineno}: {err.msg}"
        return None
    return None


def _on_name_error(shell, etype, value, tb, tb_offset=None):
    """IPython handler for NameError: in a check cell, say when the answer cell failed to compile."""
    history = list(getattr(getattr(shell, "history_manager", None), "input_hist_raw", []) or [])
    current = history[-1] if history else ""
    name = getattr(value, "name", None)
    if name is None:
        found = re.search(r"name '(\w+)' is not defined", str(value))
        name = found.group(1) if found else None
    if name and _CHECK_CELL.search(current):
        problem = answer_cell_problem(history[:-1], name, getattr(shell, "transform_cell", lambda s: s))
        message = problem or (f"name {name!r} is not defined: run the answer cell that defines {name} first "
                              "(and check that it ran without an error)")
        value.args = (message,)               # what the cell's error output and `course check` show
        stb = [f"\x1b[31m[not run]\x1b[0m {message}"]
    else:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    shell._showtraceback(etype, value, stb)  # IPython leaves showing a custom handler's traceback to it
    return stb


def install_ipython_hook() -> bool:
    """In IPython, report a check cell's NameError as the answer cell's SyntaxError when that is the cause.

    Called when the checks package is imported; does nothing outside IPython. The cell still fails
    (nbval and ``course check`` see an error), with one line that names the answer cell's problem.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc((NameError,), _on_name_error)
    return True
