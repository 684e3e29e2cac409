"""Every stub of a fresh build of exercises/ fails at its check cell as 'not attempted'; the solutions pass.

The solutions themselves also run under nbval (pytest collects solutions/); here the
`course check` verdicts are asserted exercise by exercise.
"""

import pytest
from conftest import ROOT

from course_lib.checking import check_notebook
from course_tools.notebooks import exercises, read_notebook

# Stubs come from a fresh build (the `fresh_exercises` fixture), never from the checkout's exercises/, which
# tests/test_build.py checks is up to date.
NAMES = [p.name for p in sorted((ROOT / "solutions").glob("*.ipynb"))]


@pytest.mark.parametrize("name", NAMES)
def test_every_stub_is_not_attempted(name, fresh_exercises):
    path = fresh_exercises / name
    nb = read_notebook(path)
    listed = exercises(nb)
    assert len(listed) >= 3, "each assignment has at least three graded exercises"
    assert all(e["answer_id"] and e["check_id"] and e["points"] > 0 for e in listed)
    verdicts = check_notebook(path)
    assert [(v.exercise, v.status) for v in verdicts] == [(e["name"], "not attempted") for e in listed]


SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_every_solution_passes_every_check(path):
    listed = [e["name"] for e in exercises(read_notebook(path))]
    verdicts = check_notebook(path)
    assert [(v.exercise, v.status) for v in verdicts] == [(name, "passed") for name in listed], \
        [v.feedback for v in verdicts if v.status != "passed"]


def test_course_check_exit_codes_per_exercise(fresh_exercises):
    import subprocess
    import sys

    def rc(path, *extra):
        return subprocess.run([sys.executable, "-m", "course_tools.cli", "check", str(path), *extra],
                              capture_output=True, text=True).returncode

    assert rc(ROOT / "solutions" / "01_energy.ipynb", "--exercise", "energy") == 0
    assert rc(fresh_exercises / "01_energy.ipynb", "--exercise", "energy") == 1
    assert rc(fresh_exercises / "01_energy.ipynb", "--exercise", "no_such_exercise") == 2


def test_classroom_template_lists_every_exercise_with_its_points():
    import re

    text = (ROOT / "templates/github-classroom/.github/workflows/classroom.yml").read_text()
    steps = re.findall(r"command: \".*? exercises/(\S+) --from-report \S+ --exercise (\w+)\"\n.*?\n"
                       r"\s+max-score: ([\d.]+)", text)
    expected = [(p.name, e["name"], e["points"]) for p in SOLUTIONS for e in exercises(read_notebook(p))]
    assert [(nb, name, float(points)) for nb, name, points in steps] == [(a, b, float(c)) for a, b, c in expected]
