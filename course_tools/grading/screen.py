"""Static screen of an answer's source, run in the grading process before its cases.

The screen reads the answer cell's source with :mod:`ast` (it never runs it) and refuses an answer
that could reach the course's reference implementations or the grader's machinery instead of doing
the exercise: an import of anything but a short allowlist, a reference to ``course_lib`` or
``course_tools``, to a name the instructor's own cells bound to a ``course_lib`` object (unless the
exercise allows it), to a name the exercise forbids, to dunder attributes or names, to frame and
code-object attributes, or to the builtins that reach code and objects by name (``eval``,
``getattr``, ``open``, ...). Whatever slips past it meets the runtime masking in the kernel (the
library twins are stubs there) and, above all, the rule that the kernel only ever returns data.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["ALLOWED_IMPORTS", "BANNED_NAMES", "Screen", "screen_answer", "course_lib_bindings",
           "strip_check_imports"]

ALLOWED_IMPORTS = frozenset({"numpy", "math", "torch", "itertools", "functools", "collections", "typing",
                             "dataclasses", "__future__"})
BANNED_NAMES = frozenset({
    "eval", "exec", "compile", "__import__", "importlib", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "open", "sys", "os", "gc", "inspect", "ctypes", "subprocess", "builtins", "get_ipython",
    "breakpoint", "exit", "quit", "course_lib", "course_tools", "pickle", "marshal",
})
_BANNED_ATTRS = frozenset({"ctypeslib", "_ctypes", "multiprocessing", "load_library", "hub", "ops"})
_FRAME_ATTR = re.compile(r"^(f|gi|cr|ag|tb|co)_[a-z_]+$")
_DUNDER = re.compile(r"^__\w+__$")


@dataclass(frozen=True)
class Screen:
    """The screen's verdict: ``status`` is ``ok``, ``syntax_error`` or ``refused``; ``message`` says why."""

    status: str
    message: str = ""
    line: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _module_root(name: str | None) -> str:
    return (name or "").split(".")[0]


def course_lib_bindings(sources: list[str]) -> set[str]:
    """Names the instructor's cells bind to course_lib objects or to modules answers may not import.

    Imports, and names assigned from those names (``E = hopfield.energy``).
    """
    bound: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _module_root(alias.name) not in ALLOWED_IMPORTS:
                        bound.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and _module_root(node.module) not in ALLOWED_IMPORTS:
                bound.update(alias.asname or alias.name for alias in node.names)
        changed = True
        while changed:  # x = hopfield.energy, y = x, ...
            changed = False
            for node in ast.walk(tree):
                value = node.value if isinstance(node, ast.Assign) else None
                while isinstance(value, ast.Attribute):
                    value = value.value
                if isinstance(value, ast.Name) and value.id in bound:  # an alias, not a computed result
                    for target in node.targets:
                        for n in ast.walk(target):
                            if isinstance(n, ast.Name) and n.id not in bound:
                                bound.add(n.id)
                                changed = True
    return bound


def _import_refusal(node: ast.Import | ast.ImportFrom) -> Screen | None:
    """Why an import is refused (None if it is allowed)."""
    if isinstance(node, ast.ImportFrom) and node.level:
        return _refuse(node, "relative imports are not allowed in an answer")
    modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    parts = [p for m in modules for p in m.split(".")] + [p for a in node.names for p in a.name.split(".")]
    bad = [p for p in parts if p in BANNED_NAMES or p in _BANNED_ATTRS]
    what = "imports from" if isinstance(node, ast.ImportFrom) else "imports"
    for module in modules:
        root = _module_root(module)
        if root in ("course_lib", "course_tools"):
            return _refuse(node, f"the answer {what} {module}: the exercise asks you to write this yourself, "
                                 "so an answer that uses the course's library earns nothing")
        if root not in ALLOWED_IMPORTS:
            return _refuse(node, f"the answer {what} {module}; answers may import only "
                                 + ", ".join(sorted(ALLOWED_IMPORTS - {'__future__'})))
    if bad:
        return _refuse(node, f"the answer imports {bad[0]}, which answers may not use")
    return None


def _refuse(node: ast.AST, message: str) -> Screen:
    line = getattr(node, "lineno", None)
    where = f" (line {line})" if line else ""
    return Screen("refused", message + where, line)


def screen_answer(source: str, course_names: set[str] = frozenset(), allowed: tuple[str, ...] = (),
                  forbidden: tuple[str, ...] = ()) -> Screen:
    """Screen one answer cell's source. ``course_names``: names the instructor's cells bound to course_lib."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return Screen("syntax_error", f"line {err.lineno}: {err.msg}", err.lineno)
    except (ValueError, RecursionError, MemoryError) as err:  # null bytes, absurd nesting
        return Screen("syntax_error", f"the answer cannot be parsed ({type(err).__name__})", None)
    allowed_set, forbidden_set = set(allowed), set(forbidden)
    dunder_methods: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _DUNDER.match(item.name):
                    dunder_methods.add(id(item))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            refusal = _import_refusal(node)
            if refusal is not None:
                return refusal
        elif isinstance(node, ast.Name):
            name = node.id
            if _DUNDER.match(name):
                return _refuse(node, f"the answer uses the special name {name}, which answers may not use")
            if name in BANNED_NAMES:
                return _refuse(node, f"the answer uses {name}, which answers may not use")
            if name in forbidden_set:
                return _refuse(node, f"the answer uses {name}: this exercise asks you to write it yourself")
            if name in course_names and name not in allowed_set:
                return _refuse(node, f"the answer uses {name}, which the notebook imported (from course_lib or "
                                     "a module answers may not use): the exercise asks you to write this "
                                     "yourself, so it earns nothing")
        elif isinstance(node, ast.Attribute):
            attr = node.attr
            if _DUNDER.match(attr):
                return _refuse(node, f"the answer uses the special attribute .{attr}, which answers may not use")
            if _FRAME_ATTR.match(attr):
                return _refuse(node, f"the answer uses .{attr} (frames and code objects are off limits)")
            if attr in BANNED_NAMES or attr in _BANNED_ATTRS:
                return _refuse(node, f"the answer uses .{attr}, which answers may not use")
            if attr in forbidden_set:
                return _refuse(node, f"the answer uses .{attr}: this exercise asks you to write it yourself")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if _DUNDER.match(node.name) and id(node) not in dunder_methods:
                return _refuse(node, f"the answer defines {node.name} outside a class")
        elif isinstance(node, ast.alias) and node.asname and _DUNDER.match(node.asname):
            return _refuse(node, "the answer imports under a special (dunder) name")
        elif isinstance(node, ast.arg) and _DUNDER.match(node.arg):
            return _refuse(node, "the answer uses a special (dunder) name as an argument")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bad = [n for n in node.names if _DUNDER.match(n) or n in BANNED_NAMES]
            if bad:
                return _refuse(node, f"the answer declares {bad[0]}")
    return Screen("ok")


def strip_check_imports(source: str) -> str:
    """The instructor's cell without its imports of ``course_lib.checks`` (blocked in a graded kernel).

    Each such statement becomes ``pass`` at the same indentation, so the rest of the cell still runs.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    spans = []
    for node in ast.walk(tree):
        hit = False
        if isinstance(node, ast.Import):
            hit = any(a.name.startswith(("course_lib.checks", "course_tools")) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            module = node.module or ""
            hit = module.startswith(("course_lib.checks", "course_tools")) or (
                module == "course_lib" and any(a.name == "checks" for a in node.names))
        if hit:
            spans.append((node.lineno, node.end_lineno or node.lineno, node.col_offset))
    for start, end, col in sorted(spans, reverse=True):
        lines[start - 1:end] = [" " * col + "pass\n"]
    return "".join(lines)
