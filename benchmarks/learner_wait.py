"""How long a learner waits: every lecture and assignment in the default (FULL) mode, cell by cell.

Runs the course with the course's own runner (papermill, the same as `course run --full`), reads the time of
each cell that papermill records in the executed notebooks, and writes build/benchmarks/learner_wait.json:
each notebook's total, every cell's time, and the slowest cells. Prints the ten slowest cells.

    python benchmarks/learner_wait.py                 # the whole course, FULL (minutes)
    python benchmarks/learner_wait.py --only 01,03    # some chapters (`make bench CHAPTERS=01,03`)
    python benchmarks/learner_wait.py --fast          # FAST mode, e.g. to try it out
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from course_lib.learner import at_least  # noqa: E402
from course_tools.cli import chapter_list  # noqa: E402
from course_tools.notebooks import find_root, read_notebook  # noqa: E402
from course_tools.run import RunResult, run_course  # noqa: E402

SLOW_CELL_S = 5.0  # issue 18: a cell longer than this shows progress or its expected time


def cell_times(executed: Path) -> list[dict]:
    """[{index, id, seconds, first_line}] for every code cell papermill ran (seconds None: not run)."""
    cells = []
    for index, cell in enumerate(read_notebook(executed).cells):
        if cell.cell_type != "code":
            continue
        duration = cell.metadata.get("papermill", {}).get("duration")
        first = next((line for line in cell.source.splitlines() if line.strip()), "")
        cells.append({"index": index, "id": cell.get("id"), "seconds": duration, "first_line": first[:100],
                      "tags": list(cell.metadata.get("tags", []))})
    return cells


def report(results: list[RunResult], fast: bool, top: int = 10) -> dict:
    """The JSON document: machine, mode, each notebook's total and cells, the ``top`` slowest cells."""
    notebooks, every_cell = [], []
    for r in results:
        cells = cell_times(Path(r.output)) if r.output else []
        notebooks.append({"notebook": r.notebook, "ok": r.ok, "seconds": round(r.seconds, 3), "error": r.error,
                          "cells": cells})
        every_cell += [{"notebook": r.notebook, **c} for c in cells if c["seconds"] is not None]
    every_cell.sort(key=lambda c: c["seconds"], reverse=True)
    return {
        "benchmark": "learner_wait",
        "mode": "FAST" if fast else "FULL",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg")
                    else None},
        "total_seconds": round(sum(r.seconds for r in results), 3),
        "cells_over_5s": sum(c["seconds"] > SLOW_CELL_S for c in every_cell),
        "slowest": every_cell[:top],
        "notebooks": notebooks,
    }


def slowest_table(doc: dict) -> str:
    lines = [f"The {len(doc['slowest'])} slowest cells ({doc['mode']} mode):",
             f"{'seconds':>8}  {'notebook':<32} cell  first line"]
    for c in doc["slowest"]:
        lines.append(f"{c['seconds']:8.1f}  {c['notebook']:<32} {c['index']:>4}  {c['first_line']}")
    lines.append(f"{doc['cells_over_5s']} cell(s) over {SLOW_CELL_S:.0f} s; "
                 f"all notebooks: {doc['total_seconds']:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=chapter_list, default=None, help="comma-separated chapters, e.g. 01,03")
    parser.add_argument("--fast", action="store_true", help="FAST mode instead of the learner's default (FULL)")
    parser.add_argument("--jobs", type=at_least(1, "notebooks"), default=1,
                        help="notebooks run in parallel (1, the default, times each cell without competition)")
    parser.add_argument("--root", type=Path, default=None, help="the course (default: this script's checkout)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file (default: <course>/build/benchmarks/learner_wait.json)")
    args = parser.parse_args(argv)
    root = find_root(args.root or HERE)
    out = args.out or root / "build" / "benchmarks" / "learner_wait.json"
    results = run_course(fast=args.fast, only=args.only, jobs=args.jobs, root=root, html=False,
                         out_dir=root / "build" / "benchmarks" / "learner_wait")
    doc = report(results, fast=args.fast)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print()
    print(slowest_table(doc))
    print(f"\nwrote {out}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
