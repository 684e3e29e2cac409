"""course_lib: the helper package of the course "From Hopfield networks to attention".

Plain functions on arrays, batched over states, with checked input. Notebooks import
from here; the course's machinery (runner, exercise builder, grader) lives in the
separate ``course_tools`` package, which imports course_lib and is never imported by it.
"""

__version__ = "0.1.0"
