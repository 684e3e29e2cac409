"""Write exercises/ from solutions/: each marked answer region becomes a stub.

exercises/ holds generated files only; a learner works on a copy in work/ (``course start``). Even so,
`course build` never overwrites or removes a notebook there that holds anything but generated stubs
unless told to with ``--force``, and then it keeps a backup in work/backups/.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_lib.learner import WORK_DIR

from .notebooks import BEGIN, END, NotebookError, find_root, read_notebook

__all__ = ["STUB", "strip_solutions", "stub_fingerprint", "exercise_notebook", "holds_only_stubs", "BuildResult",
           "build"]

STUB = 'raise NotImplementedError("Exercise: replace this line with your code")'
_REGION = re.compile(r"^([ \t]*)" + re.escape(BEGIN) + r"[^\n]*\n.*?^[ \t]*" + re.escape(END) + r"[^\n]*$",
                     re.MULTILINE | re.DOTALL)


def strip_solutions(source: str, where: str = "") -> str:
    """Replace every BEGIN/END SOLUTION region with an indented stub; refuse unbalanced markers."""
    if source.count(BEGIN) != source.count(END):
        raise NotebookError(f"{where}: unbalanced solution markers ({source.count(BEGIN)} BEGIN, "
                            f"{source.count(END)} END)")
    out = _REGION.sub(lambda m: m.group(1) + "# YOUR CODE HERE\n" + m.group(1) + STUB, source)
    if BEGIN in out or END in out:
        raise NotebookError(f"{where}: a solution marker is misplaced or nested")
    return out


def stub_fingerprint(nb) -> str:
    """SHA-256 of what a learner could change in a notebook: each cell's type, id and source (outputs,
    execution counts and editor metadata left out)."""
    cells = [[c.get("cell_type"), c.get("id"), c.get("source") if isinstance(c.get("source"), str)
              else "".join(c.get("source") or [])] for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=True).encode()).hexdigest()


def exercise_notebook(solution: nbformat.NotebookNode, where: str = "") -> nbformat.NotebookNode:
    """The learner's version of a solved notebook: stubs in, outputs out, ids and tags kept, and the
    fingerprint of the generated cells in ``metadata.course.generated`` (how `course build` later tells
    an untouched stub from a notebook that holds a learner's work)."""
    nb = nbformat.from_dict(solution)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{where} cell {index}")
            cell.outputs = []
            cell.execution_count = None
    course = dict(nb.metadata.get("course", {}))
    course["generated"] = {"by": "course build", "sha256": stub_fingerprint(nb)}
    nb.metadata["course"] = course
    return nb


def holds_only_stubs(path: Path, fresh_text: str | None = None) -> bool:
    """True when ``path`` holds nothing but what `course build` wrote: the same text as a fresh build, or
    cells that still match the fingerprint recorded when it was generated (outputs do not count)."""
    try:
        text = path.read_text(encoding="utf-8")
        if fresh_text is not None and text == fresh_text:
            return True
        raw = json.loads(text)
        recorded = raw["metadata"]["course"]["generated"]["sha256"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return False
    return isinstance(raw.get("cells"), list) and recorded == stub_fingerprint(raw)


@dataclass(frozen=True)
class BuildResult:
    """What `course build` found or did.

    changed: notebooks that were stale (with ``check``) or were written or removed;
    refused: notebooks that hold more than generated stubs and were left untouched (no ``force``);
    backups: copies made before ``force`` overwrote or removed such notebooks.
    """

    changed: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    backups: tuple[str, ...] = ()


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _write(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


def build(root: Path | None = None, check: bool = False, force: bool = False,
          out_dir: Path | None = None) -> BuildResult:
    """Write (or, with ``check``, only compare) exercises/ for every notebook in solutions/.

    ``root`` is the course (default: found from the working directory). ``check`` writes nothing, not
    even the folder. A notebook in the output folder that holds anything but generated stubs (a learner's
    answers, a copy Jupyter made) is never overwritten or removed unless ``force``; then a copy goes to
    ``work/backups/exercises-<time>/`` first. ``out_dir`` writes elsewhere (e.g. a fresh build for tests).
    """
    root = find_root(root)
    out = Path(out_dir) if out_dir is not None else root / "exercises"
    changed: list[str] = []
    refused: list[str] = []
    backups: list[str] = []
    backup_dir = root / WORK_DIR / "backups" / time.strftime("exercises-%Y%m%d-%H%M%S", time.gmtime())

    def replace(target: Path, text: str | None) -> None:
        """Overwrite (text) or remove (None) ``target`` in the output folder, guarding a learner's work."""
        if target.exists() and not holds_only_stubs(target, text):
            if check:
                changed[-1] += " (holds edits: `course build` leaves it alone without --force)"
                return
            if not force:
                changed.pop()
                refused.append(_shown(target, root))
                return
            backup_dir.mkdir(parents=True, exist_ok=True)
            backup = backup_dir / target.name
            shutil.copy2(target, backup)
            backups.append(_shown(backup, root))
        if check:
            return
        if text is None:
            target.unlink()
        else:
            out.mkdir(parents=True, exist_ok=True)
            _write(target, text)

    expected = set()
    for src in sorted((root / "solutions").glob("*.ipynb")):
        target = out / src.name
        expected.add(target.name)
        text = nbformat.writes(exercise_notebook(read_notebook(src), str(src))) + "\n"
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            changed.append(_shown(target, root))
            replace(target, text)
    for extra in sorted(out.glob("*.ipynb")) if out.is_dir() else []:
        if extra.name not in expected:
            changed.append(f"{_shown(extra, root)} (no matching solution)")
            replace(extra, None)
    return BuildResult(tuple(changed), tuple(refused), tuple(backups))
