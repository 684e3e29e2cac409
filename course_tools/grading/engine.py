"""`course grade`: every verdict decided in the grading process, student code only in a sandbox.

For one submission the grader

1. refuses a symlink, reads the file defensively (a status, never a crash) and takes only the answer
   cells (by id, else by tag + metadata) into the instructor's plan of the chapter (read once);
2. screens each answer's source (:mod:`.screen`): a syntax error or a refused answer never runs;
3. starts a kernel in a fresh sandbox (:mod:`.sandbox`), runs the driver's bootstrap and the runtime
   guard first, then the plan's cells in order (errors allowed; outputs counted, capped and discarded);
4. at each check, calls the chapter's checker here, in the grading process, with a
   :class:`~.remote.RemoteFunction` for the student's function and a :class:`GradingContext` (a fresh
   random salt, the instructor's hidden cases). Inputs go to the kernel as data, outputs come back as
   data and are compared here. Nothing the kernel prints or writes sets a mark;
5. a timeout, a dead kernel, too much output or memory stops the sandbox: that exercise gets the
   status, its answer is stubbed and the notebook is replayed in a fresh sandbox for the others.

Points per exercise come from the instructor's metadata; partial credit is ``points * passed / total``.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import secrets
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..notebooks import ROOT, NotebookError, chapter_of
from .kernel_guard import guard_source
from .remote import Channel, RemoteError, RemoteFunction, kernel_bootstrap
from .sandbox import Limits, Sandbox, Stop
from .screen import screen_answer
from .submission import Plan, build_plan, read_submission, student_answers

__all__ = ["GRADER_VERSION", "Settings", "ExerciseResult", "SubmissionResult", "grade_submission",
           "grade_class", "find_submissions", "chapter_from_arg", "load_hidden", "build_plan"]

GRADER_VERSION = "2.0"
STATUSES = ("passed", "failed", "not_attempted", "missing_answer", "syntax_error", "refused", "timeout",
            "kernel_died", "memory", "output_limit", "not_graded", "error")
_STOP_STATUS = {"timeout_cell": "timeout", "timeout_total": "timeout", "kernel_died": "kernel_died",
                "memory": "memory", "output_limit": "output_limit"}


@dataclass(frozen=True)
class Settings(Limits):
    """The sandbox's limits plus the course's root; checked when made (a ValueError names the bad option)."""

    root: str = str(ROOT)

    def __post_init__(self) -> None:
        for name, low in (("timeout_cell", 1), ("timeout_total", 1), ("memory_mb", 512), ("output_kb", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= low:
                raise ValueError(f"--{name.replace('_', '-')} must be a number of at least {low}, got {value!r}")
        if self.timeout_cell > self.timeout_total:
            raise ValueError(f"--timeout-cell ({self.timeout_cell:g}) cannot exceed --timeout-total "
                             f"({self.timeout_total:g})")

    @property
    def limits(self) -> Limits:
        return Limits(**{k: v for k, v in asdict(self).items() if k != "root"})


@dataclass
class ExerciseResult:
    name: str
    max_points: float
    points: float = 0.0
    status: str = "not_graded"
    passed: int = 0
    total: int = 0
    feedback: str = ""


@dataclass
class SubmissionResult:
    student: str
    file: str
    status: str = "ok"   # ok | symlink unreadable too_large empty invalid_json wrong_nbformat invalid_notebook
    message: str = ""    # wrong_chapter grader_error
    exercises: list[ExerciseResult] = field(default_factory=list)
    started: str = ""
    duration_s: float = 0.0
    isolation: dict = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises), 2)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)

    def to_dict(self) -> dict:
        return {**asdict(self), "total": self.total, "max_points": self.max_points}


# --------------------------------------------------------------------------- the instructor's side

def load_hidden(chapter: str) -> dict[str, Callable]:
    """The instructor's hidden cases of ``chapter`` (``course_tools/grading/hidden/chNN.py``), if any."""
    path = Path(__file__).resolve().parent / "hidden" / f"ch{chapter}.py"
    if not path.is_file():
        return {}
    spec = importlib.util.spec_from_file_location(f"course_tools.grading.hidden.ch{chapter}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hidden = getattr(module, "HIDDEN", {})
    if not isinstance(hidden, dict):
        raise NotebookError(f"{path}: HIDDEN must be a dict of exercise -> function")
    return hidden


_HIDDEN: dict[str, dict] = {}


def _hidden_for(chapter: str) -> dict[str, Callable]:
    if chapter not in _HIDDEN:
        _HIDDEN[chapter] = load_hidden(chapter)
    return _HIDDEN[chapter]


# --------------------------------------------------------------------------- one submission

class _Refused(Exception):
    pass


class _Run:
    """One submission's sandbox runs: replays the plan, stubbing each exercise that stopped a sandbox."""

    def __init__(self, plan: Plan, settings: Settings, answers: dict[str, str], runnable: set[str],
                 results: dict[str, ExerciseResult], hide: list[Path]):
        self.plan, self.settings, self.answers, self.runnable = plan, settings, answers, runnable
        self.results, self.hide = results, hide
        self.decided: set[str] = {n for n, r in results.items() if r.status != "not_graded"}
        self.skip: set[int] = set()
        self.stubbed: set[str] = set()     # answers that stopped a sandbox: never run again
        self.cell_errors: dict[str, str] = {}
        self.isolation: dict = {}
        self.deadline = time.monotonic() + settings.timeout_total
        self.checks = importlib.import_module(f"course_lib.checks.ch{plan.chapter}")
        self.hidden = _hidden_for(plan.chapter)

    def _stub(self, name: str) -> str:
        return next(c.source for c in self.plan.cells if c.kind == "answer" and c.exercise == name)

    def _bootstrap(self) -> str:
        twins = [e.twin for e in self.plan.exercises if e.twin is not None]
        allowed = {a for e in self.plan.exercises for a in e.allowed}
        twins = [t for t in twins if t[1].rsplit(".", 1)[-1] not in allowed]
        return guard_source(twins, ("course_lib.checks", "course_tools")) + "\n" + kernel_bootstrap()

    def _stop(self, name: str, stop: Stop) -> None:
        status = _STOP_STATUS.get(stop.kind, "kernel_died")
        limit = ""
        if stop.kind == "timeout_cell":
            limit = f" (limit: --timeout-cell {self.settings.timeout_cell:g} s per cell and per call)"
        elif stop.kind == "timeout_total":
            limit = f" (limit: --timeout-total {self.settings.timeout_total:g} s per submission)"
        elif stop.kind == "output_limit":
            limit = f" (limit: --output-kb {self.settings.output_kb:g})"
        elif stop.kind == "memory":
            limit = f" (limit: --memory-mb {self.settings.memory_mb:g})"
        r = self.results[name]
        self.stubbed.add(name)
        r.status, r.points, r.passed = status, 0.0, 0
        r.feedback = {"timeout": "it ran longer than the time limit and was stopped",
                      "kernel_died": "the kernel died while running it (os._exit, a crash or a signal)",
                      "memory": "it ran out of memory",
                      "output_limit": "it printed more output than allowed"}[status] + limit
        self.decided.add(name)

    def run(self) -> None:
        for _attempt in range(len(self.plan.cells) + 2):
            if time.monotonic() >= self.deadline:
                self._all_undecided(Stop("timeout_total"))
                return
            finished = self._attempt()
            if finished:
                return

    def _all_undecided(self, stop: Stop) -> None:
        for name in self.plan.names:
            if name not in self.decided and name in self.runnable:
                self._stop(name, stop)

    def _attempt(self) -> bool:
        """One sandbox, from the top; returns False when it must be replayed in a fresh one."""
        sandbox = Sandbox(self.settings.limits, Path(self.settings.root), self.hide, self.deadline)
        index = -1
        try:
            try:
                sandbox.start()
                self.isolation = asdict(sandbox.isolation)
                sandbox.execute(self._bootstrap(), max(self.settings.timeout_cell, 60))
            except Stop as stop:
                self._all_undecided(stop if stop.kind == "timeout_total" else Stop("kernel_died", str(stop)))
                return True
            channel = Channel(lambda code, timeout: sandbox.execute(code, timeout), str(sandbox.requests),
                              call_timeout=self.settings.timeout_cell, response_dir=str(sandbox.responses))
            for index, cell in enumerate(self.plan.cells):
                if index in self.skip:
                    continue
                if cell.kind == "check":
                    if cell.exercise not in self.decided and cell.exercise in self.runnable:
                        self._grade(cell.exercise, cell.argument, channel)
                    continue
                source = cell.source
                if cell.kind == "answer" and cell.exercise in self.runnable and cell.exercise not in self.stubbed:
                    source = self.answers[cell.exercise]
                reply = sandbox.execute(source, self.settings.timeout_cell)
                if cell.kind == "answer" and reply.status != "ok":
                    self.cell_errors[cell.exercise] = reply.ename or "an error"
            return True
        except Stop as stop:
            cell = self.plan.cells[index] if index >= 0 else None
            if stop.kind == "timeout_total":
                self._all_undecided(stop)
                return True
            if cell is not None and cell.kind in ("answer", "check") and cell.exercise in self.runnable \
                    and cell.exercise not in self.decided:
                self._stop(cell.exercise, stop)
            else:
                self.skip.add(index)   # an instructor's cell (e.g. a demo calling the answer): skip it next time
            return False
        finally:
            sandbox.close()

    def _grade(self, name: str, argument: str, channel: Channel) -> None:
        from course_lib.checks import _core

        r = self.results[name]
        source = self.answers[name]
        memory: list[str] = []

        def before(ex, twin, allowed, forbidden):
            verdict = screen_answer(source, set(self.plan.course_names), tuple(allowed), tuple(forbidden))
            if not verdict.ok:
                raise _Refused(verdict.message)

        class Watch(RemoteFunction):
            def __call__(self, *args, **kwargs):
                try:
                    return super().__call__(*args, **kwargs)
                except RemoteError as err:
                    if err.type_name == "MemoryError":
                        memory.append(err.message)
                    raise

        context = _core.GradingContext(salt=secrets.randbits(64), hidden=self.hidden, before=before)
        _core.set_grading_context(context)
        try:
            result = getattr(self.checks, name)(Watch(channel, argument))
        except _Refused as refused:
            r.status, r.feedback = "refused", str(refused)
            self.decided.add(name)
            return
        except Exception as err:  # noqa: BLE001 - the checker itself failed: say so, grade nothing
            r.status, r.feedback = "error", f"the grader's check failed ({type(err).__name__}: {str(err)[:300]})"
            self.decided.add(name)
            return
        finally:
            _core.set_grading_context(None)
        r.passed, r.total = int(result.passed), int(result.total)
        notes = list(result.feedback)
        if name in self.cell_errors:
            notes.insert(0, f"your answer cell raised {self.cell_errors[name]} when it ran")
        if self.cell_errors.get(name) == "MemoryError" or memory:
            r.status, r.points, r.passed = "memory", 0.0, 0
            notes.insert(0, f"it ran out of memory (limit: --memory-mb {self.settings.memory_mb:g})")
        elif not result.attempted:
            r.status, r.passed = "not_attempted", 0
        else:
            r.status = "passed" if result.total and result.passed == result.total else "failed"
            if result.total:
                r.points = round(r.max_points * result.passed / result.total, 2)
        r.feedback = "\n".join(str(n)[:1000] for n in notes[:30])
        self.decided.add(name)


def grade_submission(path: str | Path, plan: Plan | str, settings: Settings | None = None,
                     hide: list[str] | None = None) -> SubmissionResult:
    """Grade one submitted notebook; never raises (whatever the file or its kernel does, a status)."""
    settings = settings or Settings()
    if isinstance(plan, str):
        plan = build_plan(plan.zfill(2), Path(settings.root))
    path = Path(path)
    result = SubmissionResult(student=path.stem, file=path.name,
                              exercises=[ExerciseResult(e.name, e.points) for e in plan.exercises],
                              started=datetime.now(UTC).isoformat(timespec="seconds"))
    start = time.monotonic()
    try:
        _grade_into(result, path, plan, settings, [Path(h) for h in (hide or [])] + [path.resolve().parent])
    except Exception as err:  # noqa: BLE001 - the failure boundary of one submission
        result.status = "grader_error"
        result.message = f"the grader failed on this submission ({type(err).__name__}: {str(err)[:300]})"
        result.isolation.setdefault("traceback", traceback.format_exc(limit=5)[-2000:])
        for e in result.exercises:
            if e.status == "not_graded":
                e.feedback = result.message
    result.duration_s = round(time.monotonic() - start, 2)
    return result


def _grade_into(result: SubmissionResult, path: Path, plan: Plan, settings: Settings, hide: list[Path]) -> None:
    nb, status, message = read_submission(path, plan.chapter)
    if nb is None:
        result.status, result.message = status, message
        for e in result.exercises:
            e.status, e.feedback = "not_graded", message
        return
    answers = student_answers(nb, plan.names)
    if not answers:
        result.status, result.message = "wrong_chapter", f"no answer cell of chapter {plan.chapter} was found"
        for e in result.exercises:
            e.status, e.feedback = "missing_answer", result.message
        return
    results = {e.name: e for e in result.exercises}
    runnable: set[str] = set()
    for ex in plan.exercises:
        r = results[ex.name]
        if ex.name not in answers:
            r.status, r.feedback = "missing_answer", "no answer cell for this exercise was found in the submission"
            continue
        verdict = screen_answer(answers[ex.name], set(plan.course_names), ex.allowed, ex.forbidden)
        if verdict.status == "syntax_error":
            r.status, r.feedback = "syntax_error", f"syntax error in the answer cell, {verdict.message}"
        elif not verdict.ok:
            r.status, r.feedback = "refused", verdict.message + "; this exercise earns nothing"
        else:
            runnable.add(ex.name)
    hide = [*hide, Path(plan.solution).parent, Path(__file__).resolve().parents[1]]
    run = _Run(plan, settings, answers, runnable, results, hide)
    if runnable:
        run.run()
    result.isolation = run.isolation
    for name in plan.names:
        if results[name].status == "not_graded" and name in runnable:
            results[name].status, results[name].feedback = "error", "the check did not run"


# --------------------------------------------------------------------------- a whole class

def find_submissions(folder: Path) -> list[Path]:
    """Every ``*.ipynb`` entry in ``folder`` (symlinks included: they are refused with a status)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotebookError(f"{folder} is not a folder of submissions")
    return sorted(p for p in folder.iterdir() if p.suffix == ".ipynb" and (p.is_symlink() or p.is_file()))


def chapter_from_arg(value: str) -> str:
    """'2', '02' or '02_hebbian.ipynb' -> '02'."""
    if value.endswith(".ipynb"):
        return chapter_of(Path(value))
    if not value.isdigit():
        raise NotebookError(f"chapter must be a number like 02, got {value!r}")
    return value.zfill(2)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise NotebookError(f"--out {out} is a file; give a folder for the gradebook")


def grade_class(chapter: str, folder: Path, out: Path, jobs: int = 1, settings: Settings | None = None,
                scheduler: str | None = None, progress: bool = True) -> list[SubmissionResult]:
    """Grade every ``*.ipynb`` in ``folder``; write reports into ``out`` as results come in."""
    from .reports import Reporter

    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be a whole number of at least 1, got {jobs!r}")
    settings = settings or Settings()
    out, folder = Path(out), Path(folder)
    _check_out(out)
    chapter = chapter_from_arg(str(chapter))
    plan = build_plan(chapter, Path(settings.root))       # the instructor's solution, read once
    _hidden_for(chapter)                                   # and the hidden cases, loaded once
    paths = find_submissions(folder)
    hide = [str(folder.resolve()), str(out.resolve())]
    reporter = Reporter(out, plan, settings, GRADER_VERSION)
    bar = _progress(len(paths), progress)
    results: dict[str, SubmissionResult] = {}

    def done(r: SubmissionResult) -> None:
        results[r.file] = r
        reporter.add(r)
        bar.update(1)

    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            futures = client.map(grade_submission, [str(p) for p in paths], plan=plan, settings=settings,
                                 hide=hide, pure=False)
            where = {fut.key: path for fut, path in zip(futures, paths)}
            for fut in dask_completed(futures):
                done(_result_or_error(fut.result, where[fut.key], plan))
    elif jobs == 1:
        for p in paths:
            done(grade_submission(str(p), plan, settings, hide))
    else:
        # spawn, not fork: forking a process that runs threads (pytest, Jupyter clients) can deadlock
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(grade_submission, str(p), plan, settings, hide): p for p in paths}
            for fut in as_completed(futures):
                done(_result_or_error(fut.result, futures[fut], plan))
    bar.close()
    ordered = [results[p.name] for p in paths]
    reporter.finish(ordered)
    return ordered


def _result_or_error(get: Callable[[], SubmissionResult], path: Path, plan: Plan) -> SubmissionResult:
    try:
        return get()
    except Exception as err:  # noqa: BLE001 - a worker that died still leaves a status for its student
        r = SubmissionResult(student=path.stem, file=path.name,
                             exercises=[ExerciseResult(e.name, e.points) for e in plan.exercises])
        r.status, r.message = "grader_error", f"the grading worker failed ({type(err).__name__})"
        return r


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    import sys

    from tqdm import tqdm

    return tqdm(total=total, desc="grading", unit="submission", file=sys.stderr)
