"""`course check`: execute a learner's notebook and report each exercise's verdict."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .notebooks import CHECK_TAG, exercises, read_notebook, tags

_PASS_RE = re.compile(r"\[pass\] (\S+): (\d+)/(\d+)")
_SCORE_RE = re.compile(r": (\d+)/(\d+) hidden cases passed")


@dataclass
class Verdict:
    exercise: str
    status: str          # passed | failed | not attempted | error
    passed: int = 0
    total: int = 0
    feedback: str = ""


def _verdict(name: str, cell) -> Verdict:
    """Read a check cell's outputs after execution."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    for out in cell.get("outputs", []):
        if out.get("output_type") != "error":
            continue
        ename, evalue = out.get("ename", ""), out.get("evalue", "")
        if ename in ("NotAttempted", "NotImplementedError"):
            return Verdict(name, "not attempted", feedback=evalue)
        m = _SCORE_RE.search(evalue)
        if ename == "CheckFailed" and m:
            return Verdict(name, "failed", int(m.group(1)), int(m.group(2)), evalue)
        return Verdict(name, "error", feedback=f"{ename}: {evalue}")
    m = _PASS_RE.search(text)
    if m and m.group(1) == name:
        return Verdict(name, "passed", int(m.group(2)), int(m.group(3)))
    if not cell.get("outputs") and cell.get("execution_count") is None:
        return Verdict(name, "error", feedback="the check cell did not run (an earlier cell stopped the kernel?)")
    return Verdict(name, "error", feedback="the check printed no verdict")


def check_notebook(path: Path, timeout: int = 300) -> list[Verdict]:
    """Run the notebook top to bottom (errors do not stop it) and judge each check cell."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = read_notebook(path)
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    client.execute()
    by_id = {c.get("id"): c for c in nb.cells}
    verdicts = []
    for ex in exercises(nb):
        cell = by_id.get(ex["check_id"])
        if cell is None or CHECK_TAG not in tags(cell):
            verdicts.append(Verdict(ex["name"], "error", feedback="the check cell is missing"))
        else:
            verdicts.append(_verdict(ex["name"], cell))
    return verdicts


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


def as_nbnode(path: Path) -> nbformat.NotebookNode:
    return read_notebook(path)
