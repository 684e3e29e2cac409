"""Checkers run in the grader's process against stand-ins that call a real kernel (remote.Channel).

Every chapter's solution answers, defined in a plain kernel, get full marks on the public and the hidden
cases; the stubs get not_attempted; a wrong answer gets the same messages as the same function checked
in this process under the same grading context.
"""

import pytest
from answers import CHAPTERS, answers, checker, exercises, notebook

from course_lib.checks._core import GradingContext, set_grading_context
from course_tools.build import strip_solutions
from course_tools.grading.hidden import all_hidden
from course_tools.grading.remote import Channel, RemoteFunction, kernel_bootstrap
from course_tools.notebooks import ANSWER_TAG, tags

SALT = 424242


def _cells(chapter: str, stubs: bool = False) -> list[str]:
    """The parameters cell, the imports cell and the answer cells of a solved assignment."""
    code = [c for c in notebook(chapter).cells if c.cell_type == "code"]
    imports = next(c for c in code if not tags(c))
    out = []
    for cell in code:
        if ANSWER_TAG in tags(cell):
            out.append(strip_solutions(cell.source) if stubs else cell.source)
        elif "parameters" in tags(cell) or cell is imports:
            out.append(cell.source)
    return out


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")

    def run(code: str, timeout: float) -> None:
        reply = kc.execute_interactive(code, timeout=timeout, store_history=False, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok" or "__course_serve" in code, reply["content"]

    run(kernel_bootstrap(), 60)
    io = tmp_path_factory.mktemp("io")
    yield run, Channel(run, str(io))
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.fixture
def grading():
    set_grading_context(GradingContext(salt=SALT, hidden=all_hidden()))
    yield
    set_grading_context(None)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solutions_get_full_marks_through_the_kernel(chapter, kernel, grading):
    run, channel = kernel
    for source in _cells(chapter):
        run(source, 120)
    for ex in exercises(notebook(chapter)):
        result = getattr(checker(chapter), ex["name"])(RemoteFunction(channel, ex["name"]))
        assert result.ok and result.attempted, (ex["name"], result.feedback)
        assert result.total > len(all_hidden()[ex["name"]](None)) or ex["name"] in ("one_step_error",)


@pytest.mark.parametrize("chapter", ["01", "05", "07"])
def test_stubs_are_not_attempted_through_the_kernel(chapter, kernel, grading):
    run, channel = kernel
    for source in _cells(chapter, stubs=True):
        run(source, 120)
    for ex in exercises(notebook(chapter)):
        result = getattr(checker(chapter), ex["name"])(RemoteFunction(channel, ex["name"]))
        assert (result.attempted, result.passed) == (False, 0), ex["name"]


WRONG = {
    "01": ("energy", "def energy(W, states, b=None):\n    s = np.asarray(states, dtype=float)\n"
                     "    return -np.sum((s @ W.T) * s, axis=-1) - (0 if b is None else s @ b)\n"),
    "04": ("gibbs_sweep", "def gibbs_sweep(W, b, states, T, u):\n    s = np.asarray(states, dtype=float)\n"
                          "    h = s @ W.T + (0 if b is None else b)\n"
                          "    return np.where(u < 0.5 * (1 + np.tanh(h / T)), 1.0, -1.0)\n"),
    "05": ("free_energy", "def free_energy(W, b, c, v):\n    v = np.asarray(v, dtype=float)\n"
                          "    return -(v @ b) - np.logaddexp(0, v @ W + c).sum()\n"),
    "07": ("masked_attention", "def masked_attention(q, k, v, mask):\n"
                               "    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])\n"
                               "    s = s.masked_fill(mask, -math.inf)\n"
                               "    w = torch.softmax(s, dim=-1)\n    return w @ v, w\n"),
}


@pytest.mark.parametrize("chapter", list(WRONG))
def test_a_wrong_answer_gets_the_same_messages_as_locally(chapter, kernel, grading):
    run, channel = kernel
    name, source = WRONG[chapter]
    for cell in _cells(chapter)[:2]:               # parameters and imports
        run(cell, 120)
    run(source, 60)
    namespace = dict(answers(chapter))             # the imports the answer needs (np, torch, math, ...)
    for cell in _cells(chapter)[:2]:
        exec(compile(cell, "<parameters and imports>", "exec"), namespace)
    exec(compile(source, "<wrong answer>", "exec"), namespace)
    remote = getattr(checker(chapter), name)(RemoteFunction(channel, name))
    local = getattr(checker(chapter), name)(namespace[name])
    assert not remote.ok and (remote.passed, remote.total) == (local.passed, local.total)
    assert remote.feedback == local.feedback
