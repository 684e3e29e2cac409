"""Helpers for maintainers writing notebooks from Python: stable cell ids, tags, metadata.

    from course_tools.author import md, code, answer, check, parameters, write
    write("solutions/01_energy.ipynb", [md("# Title"), parameters(), answer("energy", 3, src), check("energy")])

Answer and check cells get ids ``<exercise>-answer`` and ``<exercise>-check`` (the grader
matches a learner's answer to the instructor's copy by that id); other cells get ids
from their position.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

# The caption is the first line: JupyterLab shows it while the cell's source is collapsed.
PARAMETERS = '''# Parameters (collapsed): FAST and SEED; papermill injects its own values below this cell
FAST = None  # None reads COURSE_FAST, where 1 means small and quick experiments
SEED = 0'''

# The course's public repository: the ONE place its address is set. The Colab set-up cell of every notebook,
# the site's launch buttons and the README's badges use it; `python -m course_tools.author --refresh` rewrites
# the set-up and parameters cells of every notebook after a change here (a test checks they agree).
REPO_URL = "https://github.com/hopfield-course/hopfield-to-attention"

# Collapsed in JupyterLab and Colab (source hidden); only the caption line shows.
HIDDEN = {"source_hidden": True}


def colab_setup(repo_url: str = REPO_URL) -> str:
    """The Colab set-up cell's source: on Colab, clone ``repo_url`` and install the course when it is missing.

    Anywhere with ``course_lib`` installed it does nothing. It fails with a clear message when the address is
    not set, when the clone fails (git never prompts for a password: ``GIT_TERMINAL_PROMPT=0``), or when
    ``course_lib`` is missing outside Colab. ``COURSE_REPO`` in the environment overrides the address.
    """
    return f'''# Colab set-up (collapsed): installs the course on Google Colab when missing; does nothing elsewhere
import importlib.util
import os
import subprocess
import sys

COURSE_REPO = os.environ.get("COURSE_REPO") or "{repo_url}"
if importlib.util.find_spec("course_lib") is None:
    if "google.colab" not in sys.modules:
        raise ModuleNotFoundError("course_lib is not installed: open this notebook from a checkout of the course "
                                  "with `make lab`, or on Colab or Binder (see the course's README)")
    if not COURSE_REPO:
        raise RuntimeError("the course's repository address is not set: run `import os; "
                           "os.environ['COURSE_REPO'] = 'https://github.com/OWNER/REPO'`, then this cell again")
    if not os.path.isdir("/content/course/course_lib"):
        clone = subprocess.run(["git", "clone", "-q", "--depth", "1", COURSE_REPO, "/content/course"],
                               env={{**os.environ, "GIT_TERMINAL_PROMPT": "0"}}, capture_output=True, text=True)
        if clone.returncode != 0:
            raise RuntimeError(f"cannot fetch the course from {{COURSE_REPO}}: "
                               f"{{(clone.stderr.strip().splitlines() or ['git failed'])[-1]}}. Check the address "
                               "(set COURSE_REPO to change it) and that this runtime is online.")
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/course"])
    sys.path.insert(0, "/content/course")'''


COLAB_SETUP = colab_setup()


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str, tags: tuple[str, ...] = ()):
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def parameters(extra: str = ""):
    """The papermill parameters cell (tag ``parameters``), collapsed, with ``extra`` lines after FAST and SEED."""
    cell = code(PARAMETERS + ("\n" + extra.strip("\n") if extra else ""), tags=("parameters",))
    cell.metadata["jupyter"] = dict(HIDDEN)
    return cell


def setup() -> nbformat.NotebookNode:
    """The Colab set-up cell (tag ``setup``), collapsed; ``write`` puts it before the parameters cell."""
    cell = code(COLAB_SETUP, tags=("setup",))
    cell.metadata["jupyter"] = dict(HIDDEN)
    return cell


def answer(exercise: str, points: int, text: str):
    cell = code(text, tags=("answer",))
    cell.metadata["course"] = {"exercise": exercise, "points": points}
    cell.id = f"{exercise}-answer"
    return cell


def check(exercise: str, call: str | None = None):
    cell = code(call or f"check.{exercise}({exercise})", tags=("check",))
    cell.metadata["course"] = {"exercise": exercise}
    cell.id = f"{exercise}-check"
    return cell


def write(path: str | Path, cells: list, chapter: str | None = None) -> Path:
    """Write a notebook with a Python 3 kernelspec, stable ids and no outputs."""
    cells = list(cells)
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), None)
    if first_code is not None and "parameters" in cells[first_code].metadata.get("tags", []):
        cells.insert(first_code, setup())
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    if chapter:
        nb.metadata["course"] = {"chapter": chapter}
    stem = Path(path).stem
    for i, cell in enumerate(nb.cells):
        if not cell.id.endswith(("-answer", "-check")):
            cell.id = f"{stem[:2]}-{i:03d}"
    nbformat.validate(nb)
    path = Path(path)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path


def refresh_machinery(path: str | Path) -> bool:
    """Rewrite the set-up and parameters cells of an existing notebook from this module; True if it changed.

    Ids, tags and the parameters cell's extra lines (after ``SEED = ...``) are kept; no other cell is touched.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        cell_tags = cell.metadata.get("tags", [])
        if "setup" in cell_tags:
            cell.source = COLAB_SETUP
        elif "parameters" in cell_tags:
            lines = cell.source.splitlines()
            seed = next((i for i, line in enumerate(lines) if line.startswith("SEED")), len(lines) - 1)
            extra = "\n".join(lines[seed + 1:])
            cell.source = PARAMETERS + ("\n" + extra if extra.strip() else "")
        else:
            continue
        cell.metadata["jupyter"] = {**cell.metadata.get("jupyter", {}), **HIDDEN}
    after = nbformat.writes(nb)
    if after == before:
        return False
    path.write_text(after + "\n", encoding="utf-8")
    return True


if __name__ == "__main__":  # python -m course_tools.author --refresh notebooks/*.ipynb solutions/*.ipynb
    import sys

    args = sys.argv[1:]
    if not args or args[0] != "--refresh":
        sys.exit("usage: python -m course_tools.author --refresh NOTEBOOK...  (then `course build` for exercises/)")
    for name in args[1:]:
        print(("rewrote " if refresh_machinery(name) else "unchanged ") + name)
