"""Run the course end to end with papermill: executed notebooks and HTML under build/."""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from course_lib.kernels import client_kwargs

from .notebooks import course_notebooks, find_root


@dataclass
class RunResult:
    notebook: str
    seconds: float
    ok: bool
    error: str = ""
    output: str = ""
    html: str = ""


def _describe_failure(err: Exception) -> str:
    """'cell In [3] `raise ValueError(...)`: ValueError: ...' from a papermill or nbclient error."""
    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    if ename:
        count = getattr(err, "exec_count", None)
        source = (getattr(err, "source", "") or "").strip().splitlines()
        where = f"cell In [{count}]" if count is not None else "a cell"
        if source:
            where += f" `{source[0][:80]}`"
        return f"{where}: {ename}: {evalue}"
    first = str(err).strip().splitlines()
    return f"{type(err).__name__}: {first[-1] if first else ''}"


def _relative(src: Path, root: str | Path | None) -> Path:
    """Where a notebook's outputs go below the output folder: its path in the course, else its name."""
    return src.relative_to(root) if root is not None and src.is_relative_to(root) else Path(src.name)


def run_one(path: str, out_dir: str, fast: bool, seed: int, cell_timeout: int, html: bool,
            root: str | None = None) -> RunResult:
    """Execute one notebook in its own folder with papermill; never raises.

    A failed result's ``output`` is the executed copy with the traceback when papermill wrote one, and
    empty otherwise (a copy left from an earlier run is removed first, so it is never mistaken for this
    run's).
    """
    import papermill as pm

    src = Path(path)
    rel = _relative(src, root)
    out = Path(out_dir) / "executed" / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    env_fast = os.environ.get("COURSE_FAST")
    os.environ["COURSE_FAST"] = "1" if fast else "0"
    # The executed copies and the HTML site need the figures: use the inline backend in the
    # kernel even when the caller (tests, CI) set MPLBACKEND=Agg for itself.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    start = time.perf_counter()
    try:
        pm.execute_notebook(str(src), str(out), parameters={"FAST": fast, "SEED": seed},
                            cwd=str(src.parent), execution_timeout=cell_timeout,
                            progress_bar=False, log_output=False, kernel_name="python3", **client_kwargs())
    except Exception as err:  # papermill, nbclient and kernel errors alike
        return RunResult(str(rel), time.perf_counter() - start, False, _describe_failure(err),
                         str(out) if out.is_file() else "")
    finally:
        if env_fast is None:
            os.environ.pop("COURSE_FAST", None)
        else:
            os.environ["COURSE_FAST"] = env_fast
    seconds = time.perf_counter() - start
    html_path = ""
    if html:
        html_path = str(write_html(out, Path(out_dir) / "html" / rel.with_suffix(".html")))
    return RunResult(str(rel), seconds, True, "", str(out), html_path)


def write_html(executed: Path, target: Path) -> Path:
    """Render an executed notebook as standalone HTML (figures embedded)."""
    import nbformat
    from nbconvert import HTMLExporter

    target.parent.mkdir(parents=True, exist_ok=True)
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    target.write_text(body, encoding="utf-8")
    return target


def timing_table(results: list[RunResult]) -> str:
    width = max([len(r.notebook) for r in results] + [8])
    lines = [f"{'notebook':<{width}}  {'seconds':>8}  status", "-" * (width + 20)]
    for r in results:
        lines.append(f"{r.notebook:<{width}}  {r.seconds:8.1f}  {'ok' if r.ok else 'FAILED'}")
    lines.append(f"{'total':<{width}}  {sum(r.seconds for r in results):8.1f}")
    return "\n".join(lines)


def write_timings(results: list[RunResult], path: Path, fast: bool, root: Path | None = None) -> Path:
    """Merge these results into ``path`` (JSON: one entry per notebook, the latest run of each wins).

    ``course site`` reads it for the course map's measured run times; a partial run (``--only 03``)
    updates its own notebooks and keeps the others' earlier times.
    """
    path = Path(path)
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("results", []) if path.is_file() else []
    except (json.JSONDecodeError, AttributeError):
        old = []
    entries = {r["notebook"]: r for r in old if isinstance(r, dict) and "notebook" in r}
    for r in results:
        entries[r.notebook] = {"notebook": r.notebook, "seconds": round(r.seconds, 2), "ok": r.ok,
                               "error": r.error, "mode": "FAST" if fast else "FULL"}
    order = {p.relative_to(root).as_posix(): i for i, p in enumerate(course_notebooks(root))} if root else {}
    ordered = sorted(entries.values(), key=lambda e: (order.get(e["notebook"], len(order)), e["notebook"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"results": ordered}, indent=1) + "\n", encoding="utf-8")
    return path


def run_course(fast: bool = True, only: set[str] | None = None, jobs: int = 1, seed: int = 0,
               cell_timeout: int | None = None, out_dir: Path | None = None, html: bool = True,
               notebooks: list[Path] | None = None, root: Path | None = None) -> list[RunResult]:
    """Run notebooks (default: the course's notebooks/ and solutions/ in course order); print progress and a
    table. ``root`` is the course (default: found from the working directory; not needed when
    ``notebooks`` and ``out_dir`` are both given). Bad arguments raise ValueError before anything runs."""
    if only is not None and not only:
        raise ValueError("only: an empty set of chapters; pass None to run every chapter")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs!r}")
    if cell_timeout is not None and (isinstance(cell_timeout, bool) or not isinstance(cell_timeout, int)
                                     or cell_timeout < 1):
        raise ValueError(f"cell_timeout must be a whole number of seconds >= 1 (or None), got {cell_timeout!r}")
    if notebooks is None or out_dir is None or root is not None:
        root = find_root(root)
    else:  # given notebooks: keep their course paths (notebooks/NN_x.ipynb) when they lie in a course
        try:
            root = find_root(Path(notebooks[0]).resolve().parent.parent)
        except ValueError:
            root = None
    out_dir = Path(out_dir) if out_dir is not None else root / "build"
    paths = notebooks if notebooks is not None else course_notebooks(root, only=only)
    if not paths:
        raise ValueError(f"no notebooks to run (only={sorted(only) if only else 'all'})")
    timeout = cell_timeout or (300 if fast else 1800)
    mode = "FAST" if fast else "FULL"
    print(f"Running {len(paths)} notebooks in {mode} mode with {jobs} job(s); per-cell timeout {timeout} s",
          flush=True)
    results: dict[str, RunResult] = {}
    args = [(str(p), str(out_dir), fast, seed, timeout, html, None if root is None else str(root)) for p in paths]
    if jobs <= 1:
        for i, a in enumerate(args, 1):
            print(f"[{i}/{len(args)}] {_relative(Path(a[0]), root)} ...", flush=True)
            r = run_one(*a)
            results[a[0]] = r
            print(f"      {'ok' if r.ok else 'FAILED'} in {r.seconds:.1f} s" + (f": {r.error}" if not r.ok else ""),
                  flush=True)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(run_one, *a): a[0] for a in args}
            for i, fut in enumerate(as_completed(futures), 1):
                r = fut.result()
                results[futures[fut]] = r
                print(f"[{i}/{len(args)}] {r.notebook}: {'ok' if r.ok else 'FAILED'} in {r.seconds:.1f} s",
                      flush=True)
    ordered = [results[str(p)] for p in paths]
    print()
    print(timing_table(ordered))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "timings.txt").write_text(timing_table(ordered) + "\n", encoding="utf-8")
    write_timings(ordered, out_dir / "timings.json", fast, root)
    for r in (r for r in ordered if not r.ok):
        where = (f"executed copy with the traceback: {r.output}" if r.output else
                 "no executed copy was written (the notebook did not start: see the error above)")
        print(f"\nFAILED {r.notebook}: {r.error}\n  {where}", file=sys.stderr)
    return ordered
