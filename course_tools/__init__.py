"""The course's machinery (runner, exercise builder, checker, grader); not for notebooks."""
