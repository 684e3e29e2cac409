"""`course check` lives in :mod:`course_lib.checking` (it ships to learners; course_tools does not)."""

from course_lib.checking import Verdict, check_notebook, format_verdicts

__all__ = ["Verdict", "check_notebook", "format_verdicts"]
