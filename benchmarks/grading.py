"""Time `course grade` on a class of chapter-01 submissions: one job, two jobs, and a Dask cluster.

The class (default 40 students) mixes solved notebooks, stubs and a partly wrong answer. Each path
must give the same gradebook; the JSON records the wall time of each, the speed-up of two jobs over
one, the CPU count and load average (on a shared machine the figures move with the load). Writes
build/benchmarks/grading.json.

    python benchmarks/grading.py [--students 40] [--skip-dask]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from course_tools.grading.engine import Settings, grade_class  # noqa: E402
from course_tools.grading.sandbox import capabilities  # noqa: E402

PARTIAL = '''
import numpy as np
def energy(W, states, b=None):
    s = np.asarray(states, dtype=float)
    return -0.5 * np.sum((s @ W.T) * s, axis=-1)
'''


def make_class(folder: Path, students: int) -> None:
    solution = nbformat.read(ROOT / "solutions" / "01_energy.ipynb", as_version=4)
    stubs = nbformat.read(ROOT / "exercises" / "01_energy.ipynb", as_version=4)
    partial = copy.deepcopy(solution)
    for cell in partial.cells:
        if cell.get("id") == "energy-answer":
            cell.source = PARTIAL
    kinds = [solution, partial, stubs]
    for i in range(students):
        nbformat.write(kinds[i % 3], folder / f"student{i:03d}.ipynb")


def timed(label: str, **kwargs) -> tuple[float, str]:
    out = Path(tempfile.mkdtemp(prefix=f"grade-{label}-"))
    start = time.perf_counter()
    grade_class("01", out=out, progress=False, **kwargs)
    return time.perf_counter() - start, (out / "gradebook.csv").read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="grade-class-"))
    make_class(folder, args.students)
    settings = Settings(timeout_cell=60, timeout_total=300, memory_mb=4096)
    load_before = os.getloadavg()
    one, book1 = timed("one", folder=folder, jobs=1, settings=settings)
    two, book2 = timed("two", folder=folder, jobs=2, settings=settings)
    result = {"students": args.students, "jobs1_s": round(one, 1), "jobs2_s": round(two, 1),
              "speedup_jobs2": round(one / two, 2), "same_gradebook_jobs": book1 == book2}
    if not args.skip_dask:
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            dask_s, book3 = timed("dask", folder=folder, settings=settings, scheduler=cluster.scheduler_address)
        result.update(dask_2workers_s=round(dask_s, 1), same_gradebook_dask=book1 == book3)
    result.update(cpus=os.cpu_count(), loadavg_before=[round(x, 2) for x in load_before],
                  loadavg_after=[round(x, 2) for x in os.getloadavg()], python=platform.python_version(),
                  isolation=capabilities().__dict__)
    out = ROOT / "build" / "benchmarks" / "grading.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
