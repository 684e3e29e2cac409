"""`course grade`: grade a class's submissions honestly, safely and in parallel.

For each submitted notebook the grader

1. reads it, giving a status instead of crashing on an empty file, invalid JSON, a wrong
   nbformat or another chapter's notebook;
2. rebuilds it from the instructor's copy: the generated exercise notebook (stubs everywhere),
   with only the answer cells taken from the student's file, matched by cell id
   (``<exercise>-answer``) or, failing that, by the ``answer`` tag and ``course.exercise``
   metadata. The student's check cells, extra cells and cell order are ignored;
3. replaces every check cell with a guarded call: a first cell, run before any student code,
   imports the checkers and keeps pristine references to them and to the numpy, math and
   builtins namespaces; before and after each check it restores anything the student's code
   patched, flags the exercise as ``tampered`` (0 points) if it had to, runs the pristine
   checker, and reports the verdict on a line tagged with a per-run secret that never appears in
   the notebook's source;
4. runs it in a fresh kernel with an address-space cap (set by the first cell), a per-cell and a total timeout and an
   output cap; a kernel that dies is restarted with the culprit exercise stubbed out, so only
   the affected exercises are lost.

Points per exercise come from the instructor's metadata (``course.points``); a check with
several independent cases gives partial credit, ``points * passed / total``.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import re
import secrets
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .build import exercise_notebook
from .notebooks import ANSWER_TAG, CHECK_TAG, ROOT, NotebookError, chapter_of, exercise_of, tags

RESULT_TAG = "COURSE-GRADE"
_CHECK_RE = re.compile(r"^\s*check\.(\w+)\((\w+)\)\s*$")


@dataclass
class Settings:
    timeout_cell: int = 60
    timeout_total: int = 600
    memory_mb: int = 6144
    output_kb: int = 512
    root: str = str(ROOT)


@dataclass
class ExerciseResult:
    name: str
    max_points: float
    points: float = 0.0
    status: str = "not_attempted"   # passed failed not_attempted missing_answer timeout kernel_died
    passed: int = 0                 # memory output_limit tampered error
    total: int = 0
    feedback: str = ""


@dataclass
class SubmissionResult:
    student: str
    file: str
    status: str = "ok"              # ok, or empty invalid_json wrong_nbformat invalid_notebook wrong_chapter
    message: str = ""
    exercises: list[ExerciseResult] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises), 2)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)


# --------------------------------------------------------------------------- instructor side

def instructor_solution(chapter: str, root: Path = ROOT) -> Path:
    found = sorted((Path(root) / "solutions").glob(f"{chapter}_*.ipynb"))
    if not found:
        raise NotebookError(f"no solution notebook for chapter {chapter} in {root}/solutions")
    return found[0]


def exercise_table(solution: nbformat.NotebookNode) -> list[tuple[str, float]]:
    """[(exercise, points)] in notebook order, from the instructor's answer cells."""
    table = []
    for cell in solution.cells:
        if ANSWER_TAG in tags(cell) and exercise_of(cell):
            table.append((exercise_of(cell), float(cell.metadata["course"].get("points", 1))))
    return table


def _guard_source(chapter: str, secret_file: str, memory_mb: int = 0) -> str:
    """The first cell of every graded notebook (runs before any student code)."""
    return f'''
def __course_make_guard():
    import builtins, contextlib, importlib, io, json, math, os, re, resource, sys
    if {memory_mb} > 0:  # cap the kernel's address space: a huge allocation raises MemoryError
        resource.setrlimit(resource.RLIMIT_AS, ({memory_mb} * 2**20, {memory_mb} * 2**20))
    import numpy
    checks = importlib.import_module("course_lib.checks.ch{chapter}")
    core = importlib.import_module("course_lib.checks._core")
    with open({secret_file!r}) as fh:
        secret = fh.read().strip()
    os.remove({secret_file!r})
    modules = [builtins, math, numpy, numpy.linalg, numpy.random, checks, core, json, re, io, contextlib]
    if "torch" in sys.modules:
        modules += [sys.modules["torch"], sys.modules["torch"].nn.functional]
    pristine = [(m, dict(vars(m))) for m in modules]
    volatile = {"_", "__", "___", "input"}  # IPython and ipykernel rebind these per request
    saved_modules = {{name: sys.modules[name] for name in ("numpy", "course_lib.checks._core",
                                                          "course_lib.checks.ch{chapter}") }}
    write = sys.stdout.write
    flush = sys.stdout.flush
    dumps = json.dumps
    checkers = {{name: getattr(checks, name) for name in dir(checks) if not name.startswith("_")}}

    def restore():
        changed = []
        for name, module in saved_modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(name)
        for module, attrs in pristine:
            space = vars(module)
            for key, value in attrs.items():
                if key in volatile:
                    continue
                if space.get(key, restore) is not value:
                    try:
                        setattr(module, key, value)
                    except (AttributeError, TypeError):
                        space[key] = value
                    changed.append(module.__name__ + "." + key)
        return changed

    def report(payload):
        write("\\n{RESULT_TAG} " + secret + " " + dumps(payload) + "\\n")
        flush()

    def grade(exercise, answer_name, user_ns):
        before = restore()
        payload = {{"exercise": exercise, "status": "error", "passed": 0, "total": 0, "feedback": ""}}
        if answer_name not in user_ns:
            payload["feedback"] = f"{{answer_name}} is not defined: did the answer cell run?"
        else:
            try:
                buffer = io.StringIO()
                with contextlib.redirect_stdout(buffer):
                    checkers[exercise](user_ns[answer_name])
                counts = re.findall(r"\\[pass\\] " + re.escape(exercise) + r": \\d+/(\\d+)", buffer.getvalue())
                total = int(counts[-1]) if counts else 1
                payload.update(status="passed", passed=total, total=total)
            except core.CheckFailed as err:
                payload.update(status="failed", passed=err.passed, total=err.total,
                               feedback="\\n".join(err.feedback))
            except NotImplementedError:
                payload.update(status="not_attempted", feedback="the answer still raises NotImplementedError")
            except MemoryError:
                payload.update(status="memory", feedback="the answer ran out of memory")
            except KeyboardInterrupt:
                payload.update(status="timeout", feedback="it ran longer than the time limit and was stopped")
            except BaseException as err:
                payload.update(feedback=f"{{type(err).__name__}}: {{err}}")
        after = restore()
        if before or after:
            payload.update(status="tampered", passed=0,
                           feedback="your code changed the grader's environment (" +
                           ", ".join(sorted(set(before + after))[:5]) + "): this exercise earns nothing")
        report(payload)

    return grade


__course_grade = __course_make_guard()
del __course_make_guard
'''.strip()


def _check_source(exercise: str, argument: str) -> str:
    return f"__course_grade({exercise!r}, {argument!r}, get_ipython().user_ns)"


# --------------------------------------------------------------------------- reading a submission

def read_submission(path: Path, chapter: str) -> tuple[nbformat.NotebookNode | None, str, str]:
    """(notebook or None, status, message)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        return None, "unreadable", str(err)
    if not raw.strip():
        return None, "empty", "the file is empty"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, "invalid_json", f"not valid JSON: {err}"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, "invalid_notebook", "JSON, but not a notebook (no list of cells)"
    if data.get("nbformat") != 4:
        return None, "wrong_nbformat", f"nbformat {data.get('nbformat')!r}; save the notebook as nbformat 4"
    try:
        nb = nbformat.from_dict(data)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several validation error types
        if not all(isinstance(c, dict) and "source" in c for c in data["cells"]):
            return None, "invalid_notebook", f"invalid notebook: {str(err).splitlines()[0]}"
        nb = nbformat.from_dict(data)  # readable enough to take answers from
    declared = nb.metadata.get("course", {}).get("chapter")
    if declared is not None and str(declared) != chapter:
        return None, "wrong_chapter", f"this is a notebook of chapter {declared}, not {chapter}"
    return nb, "ok", ""


def student_answers(nb: nbformat.NotebookNode, names: list[str]) -> dict[str, str]:
    """Answer sources by exercise: by cell id first, then by tag + metadata; first match wins."""
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        cid = cell.get("id", "")
        if cid.endswith("-answer") and cid[:-7] in names and cid[:-7] not in found:
            found[cid[:-7]] = _text(cell.get("source", ""))
    for cell in nb.cells:
        name = exercise_of(cell) if isinstance(cell.get("metadata"), dict) else None
        if cell.get("cell_type") == "code" and name in names and name not in found and ANSWER_TAG in tags(cell):
            found[name] = _text(cell.get("source", ""))
    return found


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


# --------------------------------------------------------------------------- building and running

def build_graded(solution: nbformat.NotebookNode, answers: dict[str, str], chapter: str, secret_file: str,
                 stubbed: set[str] = frozenset(), memory_mb: int = 0) -> tuple[nbformat.NotebookNode, dict[int, str]]:
    """The instructor's notebook with the student's answers; returns it and cell index -> exercise."""
    nb = exercise_notebook(solution)
    owner: dict[int, str] = {}
    cells = [nbformat.v4.new_code_cell(_guard_source(chapter, secret_file, memory_mb))]
    for cell in nb.cells:
        name = exercise_of(cell)
        if cell.cell_type == "code" and name and ANSWER_TAG in tags(cell):
            if name in answers and name not in stubbed:
                cell.source = answers[name]
            owner[len(cells)] = name
        elif cell.cell_type == "code" and name and CHECK_TAG in tags(cell):
            m = _CHECK_RE.match(cell.source)
            if not m or m.group(1) != name:
                raise NotebookError(f"instructor check cell for {name!r} must read check.{name}(<answer>)")
            cell.source = _check_source(name, m.group(2))
            owner[len(cells)] = name
        cells.append(cell)
    nb.cells = cells
    return nb, owner


def _make_client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """Drops a cell's outputs past a byte budget (keeping the grader's own result lines)."""

        output_budget = 512 * 1024
        flooded: set[int]
        used: dict[int, int]

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            size = len(json.dumps(content.get("data", content.get("text", ""))))
            self.used[cell_index] = self.used.get(cell_index, 0) + size
            if self.used[cell_index] > self.output_budget:
                text = content.get("text", "")
                if isinstance(text, str) and RESULT_TAG in text:
                    content["text"] = "\n".join(line for line in text.splitlines() if RESULT_TAG in line)
                    return super().output(outs, msg, display_id, cell_index)
                self.flooded.add(cell_index)
                return None
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


def _run(nb, owner: dict[int, str], settings: Settings, workdir: str) -> tuple[dict[str, str], str | None, list]:
    """Execute; returns (exercise -> run-level status, exercise whose cell killed the kernel, outputs)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    client_cls = _make_client_class()
    client = client_cls(nb, kernel_name="python3", timeout=settings.timeout_cell, allow_errors=True,
                        interrupt_on_timeout=True, resources={"metadata": {"path": workdir}}, startup_timeout=120)
    client.output_budget = settings.output_kb * 1024
    client.flooded, client.used = set(), {}
    events: dict[str, str] = {}
    killer = None
    start = time.monotonic()
    env_fast = os.environ.get("COURSE_FAST")
    os.environ["COURSE_FAST"] = "1"
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if time.monotonic() - start > settings.timeout_total:
                    for name in set(owner.values()):
                        events.setdefault(name, "timeout")
                    break
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    if index in owner:
                        events.setdefault(owner[index], "timeout")
                except DeadKernelError:
                    killer = owner.get(index, "")
                    break
                if index in client.flooded and index in owner:
                    events.setdefault(owner[index], "output_limit")
                errors = {o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"}
                if index in owner and "MemoryError" in errors:
                    events.setdefault(owner[index], "memory")
                if index in owner and "KeyboardInterrupt" in errors:
                    events.setdefault(owner[index], "timeout")
    except DeadKernelError:
        killer = killer if killer is not None else ""
    finally:
        if env_fast is None:
            os.environ.pop("COURSE_FAST", None)
        else:
            os.environ["COURSE_FAST"] = env_fast
    return events, killer, nb.cells


def _verdicts(cells, secret: str) -> dict[str, dict]:
    found = {}
    prefix = f"{RESULT_TAG} {secret} "
    for cell in cells:
        for out in cell.get("outputs", []):
            for line in str(out.get("text", "")).splitlines():
                if line.startswith(prefix):
                    payload = json.loads(line[len(prefix):])
                    found.setdefault(payload["exercise"], payload)
    return found


def grade_submission(path: str, chapter: str, settings: Settings | None = None) -> SubmissionResult:
    """Grade one submitted notebook; never raises for a bad submission."""
    settings = settings or Settings()
    path = Path(path)
    solution = nbformat.read(instructor_solution(chapter, Path(settings.root)), as_version=4)
    table = exercise_table(solution)
    result = SubmissionResult(student=path.stem, file=path.name,
                              exercises=[ExerciseResult(name, pts) for name, pts in table])
    nb, status, message = read_submission(path, chapter)
    if nb is None:
        result.status, result.message = status, message
        for ex in result.exercises:
            ex.status, ex.feedback = "not_graded", message
        return result
    names = [name for name, _ in table]
    answers = student_answers(nb, names)
    if not answers:
        result.status, result.message = "wrong_chapter", f"no answer cell of chapter {chapter} was found"
        for ex in result.exercises:
            ex.status, ex.feedback = "missing_answer", result.message
        return result
    stubbed: set[str] = set()
    died: dict[str, str] = {}
    for _attempt in range(len(names) + 1):
        with tempfile.TemporaryDirectory(prefix="course-grade-") as workdir:
            secret = secrets.token_hex(16)
            secret_file = Path(workdir) / ".grader-secret"
            secret_file.write_text(secret)
            graded, owner = build_graded(solution, answers, chapter, str(secret_file), stubbed, settings.memory_mb)
            events, killer, cells = _run(graded, owner, settings, workdir)
        if killer is None:
            break
        culprit = killer or next((n for n in names if n not in stubbed), "")
        died[culprit] = "kernel_died"
        if not culprit or culprit in stubbed:
            break
        stubbed.add(culprit)
    verdicts = _verdicts(cells, secret)
    for ex in result.exercises:
        verdict = verdicts.get(ex.name)
        if ex.name not in answers:
            ex.status, ex.feedback = "missing_answer", "no answer cell for this exercise was found in the submission"
            continue
        if ex.name in died:
            ex.status, ex.feedback = "kernel_died", "the kernel died (os._exit, a crash, or a signal) while running it"
            continue
        if ex.name in events:
            reason = {"timeout": "it ran longer than the time limit",
                      "output_limit": "it printed more output than allowed",
                      "memory": "it ran out of memory (the grader caps each kernel's memory)"}[events[ex.name]]
            ex.status, ex.feedback = events[ex.name], reason
            continue
        if verdict is None:
            ex.status, ex.feedback = "error", "the check did not report a verdict"
            continue
        ex.status, ex.passed, ex.total, ex.feedback = (verdict["status"], verdict["passed"], verdict["total"],
                                                       verdict["feedback"])
        if ex.status in ("passed", "failed") and ex.total:
            ex.points = round(ex.max_points * ex.passed / ex.total, 2)
    return result


# --------------------------------------------------------------------------- a whole class

def find_submissions(folder: Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise NotebookError(f"{folder} is not a folder of submissions")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".ipynb")


def grade_class(chapter: str, folder: Path, out: Path, jobs: int = 1, settings: Settings | None = None,
                scheduler: str | None = None, progress: bool = True) -> list[SubmissionResult]:
    """Grade every ``*.ipynb`` in ``folder``; write gradebook.csv, results.json and feedback/."""
    chapter = chapter.zfill(2)
    settings = settings or Settings()
    instructor_solution(chapter, Path(settings.root))  # fail early on an unknown chapter
    paths = find_submissions(folder)
    results: dict[str, SubmissionResult] = {}
    bar = _progress(len(paths), progress)
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            futures = client.map(grade_submission, [str(p) for p in paths], chapter=chapter, settings=settings,
                                 pure=False)
            for fut in dask_completed(futures):
                r = fut.result()
                results[r.file] = r
                bar.update(1)
    elif jobs <= 1:
        for p in paths:
            r = grade_submission(str(p), chapter, settings)
            results[r.file] = r
            bar.update(1)
    else:
        # spawn, not fork: forking a process that runs threads (pytest, Jupyter clients) can deadlock
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(grade_submission, str(p), chapter, settings) for p in paths]
            for fut in as_completed(futures):
                r = fut.result()
                results[r.file] = r
                bar.update(1)
    bar.close()
    ordered = [results[p.name] for p in paths]
    write_reports(ordered, Path(out))
    return ordered


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="grading", unit="submission", file=sys.stderr)


def write_reports(results: list[SubmissionResult], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    names = [e.name for e in results[0].exercises] if results else []
    with open(out / "gradebook.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", *names, "total", "max", "status"])
        for r in results:
            writer.writerow([r.student, *[f"{e.points:g}" for e in r.exercises], f"{r.total:g}",
                             f"{r.max_points:g}", r.status])
    payload = [{**asdict(r), "total": r.total, "max_points": r.max_points} for r in results]
    (out / "results.json").write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    feedback = out / "feedback"
    feedback.mkdir(exist_ok=True)
    for r in results:
        (feedback / f"{r.student}.txt").write_text(feedback_text(r), encoding="utf-8")


def feedback_text(r: SubmissionResult) -> str:
    lines = [f"{r.student} ({r.file}): {r.total:g} / {r.max_points:g} points"]
    if r.status != "ok":
        lines.append(f"The submission could not be graded: {r.status}: {r.message}")
    for e in r.exercises:
        score = f" ({e.passed}/{e.total} cases)" if e.total else ""
        lines.append(f"- {e.name}: {e.status}{score}, {e.points:g} / {e.max_points:g}")
        lines.extend("    " + line for line in e.feedback.strip().splitlines() if line)
    return "\n".join(lines) + "\n"


def summary(results: list[SubmissionResult]) -> str:
    if not results:
        return "no submissions found"
    statuses = Counter(r.status for r in results)
    ex_status = Counter(e.status for r in results for e in r.exercises)
    lines = [f"graded {len(results)} submissions: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
             "exercise statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(ex_status.items())),
             "mean points per exercise:"]
    for i, e in enumerate(results[0].exercises):
        mean = sum(r.exercises[i].points for r in results) / len(results)
        lines.append(f"  {e.name:<24} {mean:5.2f} / {e.max_points:g}")
    mean_total = sum(r.total for r in results) / len(results)
    lines.append(f"  {'total':<24} {mean_total:5.2f} / {results[0].max_points:g}")
    return "\n".join(lines)


def chapter_from_arg(value: str) -> str:
    """'2', '02' or '02_hebbian.ipynb' -> '02'."""
    if value.endswith(".ipynb"):
        return chapter_of(Path(value))
    if not value.isdigit():
        raise NotebookError(f"chapter must be a number like 02, got {value!r}")
    return value.zfill(2)
