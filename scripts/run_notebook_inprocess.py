"""Run a notebook's code cells in one in-process IPython shell and time each cell.

For machines that have the course's science stack but no Jupyter server or kernel machinery
(e.g. a GPU box with PyTorch but without papermill): the cells run in order in an
``InteractiveShell`` (magics, display and widgets behave as in a notebook, headless), with
``FAST`` and ``SEED`` set after the cell tagged ``parameters`` as papermill would set them.
Stops at the first failing cell. Writes per-cell times to JSON.

    python scripts/run_notebook_inprocess.py notebooks/05_rbm.ipynb --full --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def run(path: Path, fast: bool, seed: int) -> dict:
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.interactiveshell import InteractiveShell

    nb = json.loads(path.read_text(encoding="utf-8"))
    shell = InteractiveShell.instance()
    os.chdir(path.parent)
    cells, started = [], time.perf_counter()
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags:
            source += f"\nFAST = {fast!r}\nSEED = {seed!r}\n"
        t0 = time.perf_counter()
        result = shell.run_cell(source, silent=True)
        seconds = time.perf_counter() - t0
        first = next((line for line in source.splitlines() if line.strip()), "")[:70]
        cells.append({"index": index, "id": cell.get("id"), "seconds": round(seconds, 3), "first_line": first})
        if not result.success:
            err = result.error_in_exec or result.error_before_exec
            return {"notebook": str(path), "ok": False, "cells": cells, "failed_cell": index,
                    "error": f"{type(err).__name__}: {err}", "total_s": round(time.perf_counter() - started, 2)}
    return {"notebook": str(path), "ok": True, "cells": cells, "total_s": round(time.perf_counter() - started, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--full", action="store_true", help="FAST = False (default: FAST = True)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report = run(args.notebook.resolve(), fast=not args.full, seed=args.seed)
    slowest = sorted(report["cells"], key=lambda c: -c["seconds"])[:5]
    print(f"{report['notebook']}: {'ok' if report['ok'] else 'FAILED'} in {report['total_s']} s")
    for c in slowest:
        print(f"  {c['seconds']:8.2f} s  cell {c['index']}: {c['first_line']}")
    if not report["ok"]:
        print(f"  failed at cell {report['failed_cell']}: {report['error']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
