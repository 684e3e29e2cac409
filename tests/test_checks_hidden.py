"""The instructor's hidden cases: one table per chapter, at least one case per exercise, solutions pass.

Run here with the plain solution functions under a grading context (as the grader does with stand-ins
that call the student's kernel); tests/test_checks_remote.py runs them through a real kernel.
"""

import pytest
from answers import CHAPTERS, answers, checker, exercises, notebook

from course_lib.checks._core import GradingContext, set_grading_context
from course_tools.grading.hidden import all_hidden, hidden_cases


@pytest.fixture
def grading():
    def install(salt: int):
        set_grading_context(GradingContext(salt=salt, hidden=all_hidden()))
    yield install
    set_grading_context(None)


def test_every_exercise_has_hidden_cases():
    table = all_hidden()
    for chapter in CHAPTERS:
        names = [e["name"] for e in exercises(notebook(chapter))]
        assert sorted(hidden_cases(chapter)) == sorted(names), chapter
        for name in names:
            assert len(table[name](lambda *a, **k: None)) >= 1, name


def test_unknown_chapter_is_refused():
    with pytest.raises(ValueError, match="chapter must be one of"):
        hidden_cases("ch99")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solutions_pass_public_and_hidden_cases(chapter, grading):
    grading(salt=20261204)
    for name, fn in answers(chapter).items():
        result = getattr(checker(chapter), name)(fn)
        n_hidden = len(all_hidden()[name](fn))
        assert result.ok and result.total >= n_hidden + 1, (name, result.feedback)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_stubs_are_not_attempted_when_grading(chapter, grading):
    grading(salt=7)
    for name, fn in answers(chapter, stubs=True).items():
        result = getattr(checker(chapter), name)(fn)
        assert (result.attempted, result.passed) == (False, 0), name
