"""Grading a class: verdicts computed in the grader's own process, never in a student's kernel.

``wire`` encodes plain data for both sides; ``kernel_driver`` is the only code run in the
student's kernel (it calls the student's function and writes the result back as data);
``remote`` gives the checkers stand-ins for the student's functions.
"""
