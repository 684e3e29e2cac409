"""Run one notebook's code cells in order in this process, without Jupyter (for machines without papermill).

    python benchmarks/support/run_plain.py NOTEBOOK OUT_JSON [NAME=VALUE ...]

The NAME=VALUE pairs (Python literals) are set right after the cell tagged ``parameters``, as
papermill does. A cell that fails only because IPython or ipywidgets is missing (a widget cell) is
recorded as skipped and the run goes on; any other error stops the run. Writes per-cell seconds
and the outcome to OUT_JSON; the exit code is 0 when no cell failed.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import time
import traceback
from pathlib import Path

OPTIONAL = ("IPython", "ipywidgets", "ipykernel")


def main() -> int:
    path, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    params = {k: ast.literal_eval(v) for k, v in (a.split("=", 1) for a in sys.argv[3:])}
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.chdir(path.parent)
    nb = json.loads(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__main__"}
    cells, status = [], "ok"
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        first = source.strip().splitlines()[0][:70] if source.strip() else ""
        t0 = time.perf_counter()
        try:
            exec(compile(source, f"{path.name} cell {index}", "exec"), namespace)
            outcome = "ok"
        except ModuleNotFoundError as err:
            if (err.name or "").split(".")[0] not in OPTIONAL:
                outcome, status = f"FAILED: {err!r}", "failed"
            else:
                outcome = f"skipped: needs {err.name}"
        except Exception as err:  # noqa: BLE001 - report any error of the notebook's code
            outcome, status = f"FAILED: {type(err).__name__}: {err}", "failed"
            traceback.print_exc()
        cells.append({"cell": index, "seconds": time.perf_counter() - t0, "first_line": first, "outcome": outcome})
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            namespace.update(params)
        if status == "failed":
            break
        import matplotlib.pyplot as plt
        plt.close("all")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"notebook": str(path), "status": status, "params": params, "cells": cells,
                               "seconds": sum(c["seconds"] for c in cells)}, indent=2) + "\n")
    print(f"{path.name}: {status} in {sum(c['seconds'] for c in cells):.1f} s")
    return 0 if status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
