"""Runtime masking in a graded kernel: runs first, before any student code (with the driver's bootstrap).

It is defence in depth behind the static screen, never the basis of a verdict: it blocks importing
``course_lib.checks`` and ``course_tools`` in the kernel, and replaces each of the chapter's library
twins (the course_lib function an exercise asks the learner to write) with a stub that raises, in
every loaded course_lib module, so that an answer that reaches the reference anyway gets an error,
not the reference's output.
"""

from __future__ import annotations


def guard(twins: list[tuple[str, str]], blocked: tuple[str, ...]) -> None:
    """Install the import block and the stubs. ``twins``: (module, qualified name) pairs."""
    import importlib
    import importlib.abc
    import sys

    def is_blocked(name: str) -> bool:
        return any(name == b or name.startswith(b + ".") for b in blocked)

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if is_blocked(name):
                raise ImportError(f"{name} is not available while grading")
            return None

    sys.meta_path.insert(0, Block())
    for name in [n for n in sys.modules if is_blocked(n)]:
        del sys.modules[name]

    def stub_for(qualname: str):
        def stub(*args, **kwargs):
            raise RuntimeError(f"course_lib's {qualname} is not available while grading: the exercise asks "
                               "you to write it yourself")
        stub.__qualname__ = stub.__name__ = qualname.rsplit(".", 1)[-1]
        return stub

    for module_name, qualname in twins:
        try:
            owner = importlib.import_module(module_name)
            parts = qualname.split(".")
            for part in parts[:-1]:
                owner = getattr(owner, part)
            original = getattr(owner, parts[-1])
        except Exception:  # noqa: BLE001 - a twin that cannot be found cannot be called either
            continue
        stub = stub_for(qualname)
        setattr(owner, parts[-1], stub)
        for module in list(sys.modules.values()):
            if not str(getattr(module, "__name__", "")).startswith("course_lib"):
                continue
            space = getattr(module, "__dict__", {})
            for key, value in list(space.items()):
                if value is original:
                    space[key] = stub


def guard_source(twins: list[tuple[str, str]], blocked: tuple[str, ...]) -> str:
    """Code for the kernel: this module's ``guard`` run in a private namespace, then forgotten."""
    import inspect

    body = inspect.getsource(guard)
    return (
        "def __course_guard_boot():\n"
        "    namespace = {'__name__': 'course_grader_guard'}\n"
        f"    exec(compile({body!r}, '<course-guard>', 'exec'), namespace)\n"
        f"    namespace['guard']({twins!r}, {blocked!r})\n"
        "__course_guard_boot()\n"
        "del __course_guard_boot\n"
    )
