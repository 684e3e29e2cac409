"""One checker per exercise, one module per chapter (``ch01``, ``ch02``, ...).

A check cell calls e.g. ``check.energy(energy)``. The checker runs hidden cases
(random and edge cases with fixed seeds), prints one pass line on success, and on
failure raises :class:`CheckFailed` (an AssertionError) whose message says what is
wrong and gives a hint, never the answer.
"""

from ._core import CheckFailed, CheckResult, NotAttempted, install_ipython_hook

__all__ = ["CheckFailed", "CheckResult", "NotAttempted"]

install_ipython_hook()  # in a notebook: a check cell says when its answer cell did not compile
