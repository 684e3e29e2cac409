"""Grading a class: verdicts computed in the grader's own process, never in a student's kernel.

``engine`` (`course grade`: plan, one sandbox run per submission, checkers called here), ``submission``
(the instructor's plan, read once; a student's file, read defensively), ``screen`` (static screen of
each answer), ``sandbox`` (one isolated kernel per submission), ``kernel_guard`` and ``kernel_driver``
(the only grader code run in a student's kernel: masking, and calling the student's function),
``wire`` (plain data both ways, no pickle), ``remote`` (stand-ins for the student's functions),
``reports`` (gradebook, roster, results, feedback), ``hidden/chNN.py`` (the instructor's hidden cases).
"""
