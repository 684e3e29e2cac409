"""Hidden cases of chapter 01: instructor-only (course_tools is not released to students).

``HIDDEN[exercise](fn)`` returns extra ``(name, case)`` pairs that the grader adds to the public
checker's cases. ``fn`` is the grader's stand-in for the student's function; inputs are drawn from
:func:`course_lib.checks._core.rng_for`, salted per grading run, and compared here with the library.
"""

from __future__ import annotations

import numpy as np

from course_lib import hopfield
from course_lib.checks._core import expect_close, random_spins, rng_for


def _energy(fn):
    rng = rng_for("energy", case=101)

    def large_batch():
        a = rng.normal(size=(40, 40))
        W = (a + a.T) / 2
        S = random_spins(rng, 64, 40)
        expect_close(np.asarray(fn(W, S), dtype=float), hopfield.energy(W, S),
                     "wrong energies for a larger batch (64 states of 40 units)")

    return [("larger batch", large_batch)]


HIDDEN = {"energy": _energy}
