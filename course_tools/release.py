"""`course release OUT`: the student-facing course, as a folder or a git repository.

What goes in: the lectures (``notebooks/``), the assignments (``exercises/``, generated afresh from
``solutions/`` so a stale copy cannot leak an answer), ``course_lib`` (the public checks only: the
hidden cases and the grader live in ``course_tools``, which is not released), ``data/``, ``binder/``,
the environment files, a README for students, a ``pyproject.toml`` whose ``course`` command is the
learner's, and a GitHub Classroom workflow (``.github/``). What stays out: ``solutions/``,
``course_tools/``, ``tests/``, ``benchmarks/``, ``templates/``, the maintainer's files.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat

from .build import exercise_notebook
from .notebooks import ROOT, NotebookError, exercises, read_notebook

__all__ = ["release", "classroom_workflow", "write_classroom_template", "STUDENT_README"]

COPIED = ("course_lib", "notebooks", "data", "binder", "requirements.txt", "environment.yml")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")

STUDENT_README = """# From Hopfield networks to attention

A course in seven chapters, from the 1982 Hopfield network to the attention layer of a transformer.
Each chapter has a lecture (`notebooks/NN_topic.ipynb`: read and run) and an assignment
(`exercises/NN_topic.ipynb`: write the answers where it says `# YOUR CODE HERE`).

## Set up

```bash
python -m venv .venv
.venv/bin/pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt
.venv/bin/pip install --no-deps -e .
.venv/bin/jupyter lab
```

## Check your work

Each answer is followed by a check cell that runs the public cases and says what is wrong, never the
answer. To check a whole notebook from the command line:

```bash
.venv/bin/course check exercises/02_hebbian.ipynb
```

It reports every exercise (passed, failed with hints, not attempted, missing, syntax error, timeout)
and exits 0 only when all of them passed. Your instructor grades with further cases that you do not
see, so an answer that only fits the public cases will not earn full marks.

## Rules for answers

Write each answer yourself with NumPy (or torch where the exercise says so). An answer that calls the
course's own version of the same function (`course_lib`), reads files, or imports anything beyond
`numpy`, `math`, `torch`, `itertools`, `functools`, `collections`, `typing` and `dataclasses` earns
nothing for that exercise.
"""


def _student_pyproject(root: Path) -> str:
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    entry = "course_lib.learner:main" if (root / "course_lib" / "learner.py").is_file() else \
        "course_lib.checking:main"
    text = re.sub(r'(?m)^course = ".*"$', f'course = "{entry}"', text)
    text = re.sub(r'(?ms)^packages = \[.*?\]$',
                  'packages = ["course_lib", "course_lib.checks", "course_lib.widgets", "course_lib.data"]', text)
    text = re.sub(r'(?m)^testpaths = \[.*\]$', 'testpaths = ["exercises"]', text)
    if '"course_tools' in text or f'course = "{entry}"' not in text:
        raise NotebookError("pyproject.toml: cannot find the package list or the `course` entry point to rewrite")
    return text


def _exercise_table(root: Path) -> list[tuple[str, str, str, float]]:
    """(chapter, notebook name, exercise, points) for every assignment, in course order."""
    table = []
    for path in sorted((root / "solutions").glob("*.ipynb")):
        for ex in exercises(read_notebook(path)):
            table.append((path.name[:2], path.name, ex["name"], float(ex["points"])))
    return table


def classroom_workflow(root: Path = ROOT) -> str:
    """A GitHub Actions workflow: each notebook checked once, one command-grader step per exercise."""
    table = _exercise_table(root)
    notebooks = sorted({name for _, name, _, _ in table})
    lines = [
        "# GitHub Classroom autograding for \"From Hopfield networks to attention\" (written by `course release`).",
        "# Each notebook runs once (`course check --report`); each exercise is then one",
        "# autograding-command-grader step that reads that report, and the reporter adds up the points.",
        "# The grader actions drop the step's environment, so COURSE_FAST=1 is set inside each command.",
        "# Delete the steps (and `runners`) of the chapters you do not assign.",
        "name: Autograding",
        "on: [push, workflow_dispatch]",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        "    runs-on: ubuntu-latest",
        "    timeout-minutes: 60",
        "    if: github.actor != 'github-classroom[bot]'",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - uses: actions/setup-python@v5",
        "        with:",
        "          python-version: \"3.11\"",
        "      - name: Install the course (CPU torch)",
        "        run: |",
        "          python -m venv .venv",
        "          .venv/bin/pip install -q --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt",
        "          .venv/bin/pip install -q --no-deps -e .",
        "      - name: Check each notebook once",
        "        run: |",
        "          mkdir -p .course-check",
    ]
    for nb in notebooks:
        lines.append(f"          COURSE_FAST=1 MPLBACKEND=Agg .venv/bin/python -m course_lib.checking exercises/{nb} "
                     f"--report .course-check/{nb[:-6]}.json || true")
    ids = []
    for chapter, nb, name, points in table:
        step = f"ex-{chapter}-{name.replace('_', '-')}"
        ids.append(step)
        command = (f"COURSE_FAST=1 .venv/bin/python -m course_lib.checking exercises/{nb} "
                   f"--from-report .course-check/{nb[:-6]}.json --exercise {name}")
        lines += [f"      - name: {chapter} {name}", f"        id: {step}",
                  "        uses: classroom-resources/autograding-command-grader@v1", "        with:",
                  f"          test-name: \"{chapter} {name}\"", "          setup-command: \"\"",
                  f"          command: \"{command}\"", "          timeout: 5", f"          max-score: {points:g}"]
    lines += ["      - name: Autograding Reporter", "        uses: classroom-resources/autograding-grading-reporter@v1",
              "        env:"]
    lines += [f"          {step.upper()}_RESULTS: \"${{{{steps.{step}.outputs.result}}}}\"" for step in ids]
    lines += ["        with:", f"          runners: {','.join(ids)}"]
    return "\n".join(lines) + "\n"


def write_classroom_template(target: Path, root: Path = ROOT) -> Path:
    """Write ``.github/workflows/classroom.yml`` under ``target``."""
    path = Path(target) / ".github" / "workflows" / "classroom.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(classroom_workflow(root), encoding="utf-8")
    return path


def release(out: Path, root: Path = ROOT, git: bool = False) -> Path:
    """Write the student-facing course into the new folder ``out``; with ``git``, commit it."""
    out, root = Path(out), Path(root)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty folder")
    if out.resolve() == root.resolve() or root.resolve() in out.resolve().parents:
        raise FileExistsError(f"{out} is inside the course; release into a folder outside it")
    out.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, out / name, ignore=_IGNORE)
        elif src.is_file():
            shutil.copy2(src, out / name)
    (out / "exercises").mkdir()
    for src in sorted((root / "solutions").glob("*.ipynb")):
        nb = exercise_notebook(read_notebook(src), str(src))
        (out / "exercises" / src.name).write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    (out / "README.md").write_text(STUDENT_README, encoding="utf-8")
    (out / "pyproject.toml").write_text(_student_pyproject(root), encoding="utf-8")
    (out / ".gitignore").write_text(".venv/\nbuild/\n__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\n"
                                    ".course-check/\nwork/\n", encoding="utf-8")
    write_classroom_template(out, root)
    (out / "course.json").write_text(json.dumps({"released_from": _commit(root)}, indent=1) + "\n",
                                     encoding="utf-8")
    if git:
        for args in (["init", "-q"], ["add", "-A"],
                     ["-c", "user.name=course release", "-c", "user.email=course@example.invalid",
                      "commit", "-q", "-m", "The course, as released to students"]):
            subprocess.run(["git", *args], cwd=out, check=True, capture_output=True)
    return out


def _commit(root: Path) -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
