"""`course check`: run a learner's notebook in the learner's own kernel and report every exercise.

This is the learner's tool (it ships with the course; the instructor's grader does not). It runs the
notebook top to bottom with the public checks, and reads each check cell's verdict:
``[pass] <exercise>: k/n hidden cases passed`` on success, a ``CheckFailed`` (``k/n`` and the hints) or
``NotAttempted`` error otherwise. It holds up when one answer misbehaves:

* a timeout or a dead kernel stops only that exercise: the kernel is restarted and the notebook run
  again with that answer left out, so every other exercise still gets its verdict; the verdict says
  which limit was hit;
* an exercise whose cells were deleted is ``missing`` (compared with the course's copy of the
  assignment), never ``passed``, and the exit code says so;
* an answer with a syntax error is reported as such, with its line and message.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Verdict", "check_notebook", "format_verdicts", "expected_exercises", "write_report", "read_report",
           "run", "check_command"]

_PASS_RE = re.compile(r"\[pass\] (\S+): (\d+)/(\d+)")
_SCORE_RE = re.compile(r": (\d+)/(\d+) hidden cases passed")
_STUB = 'raise NotImplementedError("left out by course check: it stopped the kernel")'
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Verdict:
    exercise: str
    status: str          # passed | failed | not attempted | missing | syntax error | timeout | kernel died | error
    passed: int = 0
    total: int = 0
    feedback: str = ""


def _tags(cell) -> list:
    tags = cell.get("metadata", {}).get("tags", [])
    return tags if isinstance(tags, list) else []


def _exercise(cell) -> str | None:
    course = cell.get("metadata", {}).get("course", {})
    return course.get("exercise") if isinstance(course, dict) else None


def _cells_of(nb) -> dict[str, dict[str, int]]:
    """exercise -> {"answer": index, "check": index} (by id ``<ex>-answer``/``<ex>-check``, else tag+metadata)."""
    found: dict[str, dict[str, int]] = {}
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        cid = str(cell.get("id", ""))
        for role in ("answer", "check"):
            name = cid[: -len(role) - 1] if cid.endswith("-" + role) else None
            if name is None and role in _tags(cell):
                name = _exercise(cell)
            if name:
                found.setdefault(name, {}).setdefault(role, index)
    return found


def expected_exercises(path: Path, nb) -> list[str]:
    """The exercises the assignment has: from the course's copy of it when found, else from the notebook."""
    name = Path(path).name
    for folder in (ROOT / "exercises", Path(path).resolve().parent.parent / "exercises"):
        reference = folder / name
        if reference.is_file() and reference.resolve() != Path(path).resolve():
            import nbformat

            try:
                ref = nbformat.read(reference, as_version=4)
            except Exception:  # noqa: BLE001 - an unreadable reference: fall back to the notebook
                break
            return [n for n, roles in _cells_of(ref).items() if "answer" in roles]
    return [n for n, roles in _cells_of(nb).items() if "answer" in roles or "check" in roles]


def _syntax_error(source: str) -> str | None:
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - without IPython, parse the plain source
        pass
    try:
        ast.parse(source)
    except SyntaxError as err:
        return f"syntax error in the answer, line {err.lineno}: {err.msg}"
    return None


def _verdict(name: str, cell) -> Verdict:
    """Read a check cell's outputs after it ran."""
    outputs = cell.get("outputs", [])
    for out in outputs:
        if out.get("output_type") != "error":
            continue
        ename, evalue = out.get("ename", ""), out.get("evalue", "")
        if ename in ("NotAttempted", "NotImplementedError"):
            return Verdict(name, "not attempted", feedback=evalue)
        m = _SCORE_RE.search(evalue)
        if ename == "CheckFailed" and m:
            return Verdict(name, "failed", int(m.group(1)), int(m.group(2)), evalue)
        if ename == "NameError":
            return Verdict(name, "error", feedback=f"{ename}: {evalue} (did its answer cell run without error?)")
        return Verdict(name, "error", feedback=f"{ename}: {evalue}")
    text = "".join(str(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
    m = _PASS_RE.search(text)
    if m and m.group(1) == name:
        return Verdict(name, "passed", int(m.group(2)), int(m.group(3)))
    if not outputs and cell.get("execution_count") is None:
        return Verdict(name, "error", feedback="the check cell did not run")
    return Verdict(name, "error", feedback="the check printed no verdict")


def check_notebook(path: Path, timeout: int = 300) -> list[Verdict]:
    """Run the notebook (errors do not stop it) and judge each exercise, in the assignment's order."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from .kernels import client_kwargs

    path = Path(path)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        raise ValueError(f"timeout must be a whole number of seconds, at least 1; got {timeout!r}")
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("MPLBACKEND", "Agg")
    where = _cells_of(nb)
    owner = {i: name for name, roles in where.items() for i in roles.values()}
    expected = expected_exercises(path, nb)
    decided: dict[str, Verdict] = {}
    for name in expected:
        roles = where.get(name, {})
        if "answer" not in roles or "check" not in roles:
            lost = " and ".join(r for r in ("answer", "check") if r not in roles)
            decided[name] = Verdict(name, "missing", feedback=f"the exercise's {lost} cell is missing from "
                                                              "this notebook (was it deleted?)")
        else:
            problem = _syntax_error(nb.cells[roles["answer"]].source)
            if problem:
                decided[name] = Verdict(name, "syntax error", feedback=problem)
    left_out: set[int] = set()
    run = copy.deepcopy(nb)
    for _attempt in range(len(nb.cells) + 1):
        client = NotebookClient(run, timeout=timeout, allow_errors=True, kernel_name="python3",
                                interrupt_on_timeout=False,
                                resources={"metadata": {"path": str(path.parent.resolve())}}, **client_kwargs())
        stopped = None
        with client.setup_kernel():
            for index, cell in enumerate(run.cells):
                if cell.cell_type != "code" or index in left_out:
                    continue
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    stopped = (index, "timeout", f"stopped after the time limit of {timeout} s per cell "
                                                 "(--timeout)")
                except DeadKernelError:
                    stopped = (index, "kernel died", "the kernel died while running it (a crash, os._exit, "
                                                     "or too much memory)")
                if stopped:
                    break
        if stopped is None:
            break
        index, status, message = stopped
        name = owner.get(index)
        left_out.add(index)
        if name:
            decided.setdefault(name, Verdict(name, status, feedback=message))
            answer = where[name].get("answer")
            if answer is not None:
                left_out.discard(answer)
                run.cells[answer].source = _STUB
        run = _fresh(run)
    verdicts = []
    for name in expected:
        if name in decided:
            verdicts.append(decided[name])
        else:
            verdicts.append(_verdict(name, run.cells[where[name]["check"]]))
    return verdicts


def _fresh(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def format_verdicts(path: Path, verdicts: list[Verdict]) -> str:
    lines = [f"{path}:"]
    for v in verdicts:
        score = f" ({v.passed}/{v.total} cases)" if v.total else ""
        lines.append(f"  {v.exercise:<24} {v.status}{score}")
        if v.status != "passed" and v.feedback:
            lines.extend("      " + line for line in v.feedback.strip().splitlines())
    done = sum(v.status == "passed" for v in verdicts)
    lines.append(f"  {done}/{len(verdicts)} exercises passed")
    return "\n".join(lines)


def write_report(path: Path, verdicts: list[Verdict]) -> None:
    """Save verdicts as JSON (e.g. once per notebook in CI, then read per exercise)."""
    import json
    from dataclasses import asdict

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps([asdict(v) for v in verdicts], indent=1) + "\n", encoding="utf-8")


def read_report(path: Path) -> list[Verdict]:
    """Verdicts saved by :func:`write_report`; ValueError for anything else."""
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ValueError(f"{path} is not a report written by course check --report")
    fields = ("exercise", "status", "passed", "total", "feedback")
    return [Verdict(**{k: d[k] for k in fields if k in d}) for d in data]


def check_command(path: Path, timeout: int = 300, exercise: str | None = None) -> int:
    """``course check`` on one notebook as a call (for ``course_lib.learner.main(check=...)``): the exit code."""
    return run(argparse.Namespace(notebook=Path(path), timeout=timeout, exercise=exercise, report=None,
                                  from_report=None))


def run(args) -> int:
    """Run ``course check`` from parsed arguments; the exit code (0 all passed, 1 not, 2 unusable input)."""
    if args.timeout < 1:
        print(f"course check: --timeout must be at least 1 second, got {args.timeout}", file=sys.stderr)
        return 2
    try:
        if getattr(args, "from_report", None):
            verdicts = read_report(args.from_report)
        else:
            verdicts = check_notebook(args.notebook, timeout=args.timeout)
    except (OSError, ValueError) as err:  # unreadable file, invalid notebook (nbformat raises ValueErrors)
        print(f"course check: {args.notebook}: {str(err).splitlines()[0] if str(err) else err!r}", file=sys.stderr)
        return 2
    if getattr(args, "report", None):
        write_report(args.report, verdicts)
    print(format_verdicts(args.notebook, verdicts))
    if args.exercise:
        chosen = [v for v in verdicts if v.exercise == args.exercise]
        if not chosen:
            print(f"course check: no exercise named {args.exercise!r} in {args.notebook}", file=sys.stderr)
            return 2
        verdicts = chosen
    return 0 if verdicts and all(v.status == "passed" for v in verdicts) else 1
