"""The browsable course site under build/: an index page with the course map and the timing table.

``write_site(results, out_dir, fast)`` (called by ``course run``) writes ``out_dir/index.html``:
one row per chapter with its title, the time estimates read from each notebook (the
``**Time: about X minutes.**`` line and the ``## 1. Section (10 min)`` headings), links to the
executed lecture and assignment rendered as HTML (figures embedded), then the per-notebook timings.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .notebooks import ROOT, NotebookError, chapter_of, course_notebooks, read_notebook

TIME_RE = re.compile(r"\*\*Time:\s*about\s+(\d+)\s*minutes?\.?\*\*", re.IGNORECASE)
SECTION_RE = re.compile(r"^##\s+(.+?)\s*\((\d+)\s*min\)\s*$")


@dataclass
class NotebookInfo:
    """What the site says about one notebook: its title, total minutes and timed sections."""

    path: Path
    title: str
    minutes: int | None = None
    sections: list[tuple[str, int]] = field(default_factory=list)


def notebook_info(path: Path) -> NotebookInfo:
    """Title (first '# ' line), minutes ('**Time: about X minutes.**') and '## ... (N min)' sections."""
    path = Path(path)
    try:
        nb = read_notebook(path)
    except NotebookError:
        return NotebookInfo(path, path.stem)
    title, minutes, sections = None, None, []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        if minutes is None and (m := TIME_RE.search(cell.source)):
            minutes = int(m.group(1))
        for line in cell.source.splitlines():
            if title is None and line.startswith("# "):
                title = line[2:].strip()
            if s := SECTION_RE.match(line.strip()):
                sections.append((s.group(1), int(s.group(2))))
    return NotebookInfo(path, title or path.stem, minutes, sections)


def _status(r) -> str:
    return "ok" if r.ok else "FAILED"


def _link(target: str, out_dir: Path, text: str) -> str:
    """An <a> to ``target`` relative to ``out_dir``, or the bare text when there is no target file."""
    if not target or not Path(target).exists():
        return html.escape(text)
    rel = Path(os.path.relpath(Path(target).resolve(), out_dir.resolve())).as_posix()
    return f'<a href="{html.escape(rel)}">{html.escape(text)}</a>'


def _sections(info: NotebookInfo) -> str:
    if not info.sections:
        return ""
    items = "".join(f"<li>{html.escape(name)} <span class='min'>({m} min)</span></li>" for name, m in info.sections)
    return f"<ul class='sections'>{items}</ul>"


def _minutes(info: NotebookInfo | None) -> str:
    return f"{info.minutes} min" if info and info.minutes is not None else "&ndash;"


def course_minutes(root: Path = ROOT) -> tuple[int, int]:
    """Total minutes stated by the lectures (notebooks/) and by the assignments (solutions/)."""
    totals = {"notebooks": 0, "solutions": 0}
    for p in course_notebooks(root=root):
        totals[p.parent.name] += notebook_info(p).minutes or 0
    return totals["notebooks"], totals["solutions"]


def course_map_rows(results, out_dir: Path, root: Path = ROOT) -> list[str]:
    """One <tr> per chapter found under root (notebooks/ and solutions/), in course order."""
    by_path = {str((root / r.notebook).resolve()): r for r in results}
    chapters: dict[str, dict[str, Path]] = {}
    for p in course_notebooks(root=root):
        chapters.setdefault(chapter_of(p), {})[p.parent.name] = p
    rows = []
    for ch, parts in chapters.items():
        lecture, solution = parts.get("notebooks"), parts.get("solutions")
        infos = {k: notebook_info(p) for k, p in parts.items()}
        lec_info, sol_info = infos.get("notebooks"), infos.get("solutions")
        title = re.sub(r"^\d+\s*·\s*", "", (lec_info or sol_info).title)
        cells = []
        for label, path in (("lecture", lecture), ("assignment", solution)):
            if path is None:
                cells.append("<td>&ndash;</td>")
                continue
            r = by_path.get(str(path.resolve()))
            if r is None:
                cells.append(f"<td>{label}<br><small>not run in this build</small></td>")
            elif not r.ok:
                cells.append(f"<td>{label}<br><small class='failed'>FAILED: {html.escape(r.error)}</small></td>")
            else:
                cells.append(f"<td>{_link(r.html, out_dir, label)}<br><small>{r.seconds:.1f} s</small></td>")
        total = sum(i.minutes for i in (lec_info, sol_info) if i and i.minutes is not None)
        rows.append(
            f"<tr id='ch{ch}'><td>{ch}</td><td><b>{html.escape(title)}</b>{_sections(lec_info) if lec_info else ''}"
            f"</td>{''.join(cells)}<td>{_minutes(lec_info)} + {_minutes(sol_info)}<br><small>{total} min in all"
            f"</small></td></tr>"
        )
    return rows


def timing_rows(results, out_dir: Path) -> list[str]:
    """One <tr> per executed notebook: path (linked to its HTML), seconds and status, then the total."""
    rows = [
        f"<tr><td>{_link(r.html if r.ok else '', out_dir, r.notebook)}</td><td class='num'>{r.seconds:.1f}</td>"
        f"<td class='{'ok' if r.ok else 'failed'}'>{_status(r)}</td></tr>"
        for r in results
    ]
    rows.append(f"<tr><th>total</th><th class='num'>{sum(r.seconds for r in results):.1f}</th><th></th></tr>")
    return rows


STYLE = """body{font-family:system-ui,sans-serif;max-width:62em;margin:2em auto;padding:0 1em;line-height:1.4}
table{border-collapse:collapse;width:100%;margin-bottom:2em}td,th{padding:.35em .7em;vertical-align:top;
border-bottom:1px solid #ddd;text-align:left}.num{text-align:right}.failed{color:#b00}.ok{color:#070}
ul.sections{list-style:none;margin:.3em 0 0 0;padding:0;font-size:.9em;color:#444}.min{color:#777}"""


def write_site(results, out_dir: Path, fast: bool, root: Path = ROOT) -> Path:
    """Write out_dir/index.html (course map, time estimates, links to the executed HTML, timings)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n_ok = sum(r.ok for r in results)
    lectures, assignments = course_minutes(root)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>From Hopfield networks to attention</title>
<style>{STYLE}</style>
</head><body>
<h1>From Hopfield networks to attention</h1>
<p>A course in Jupyter notebooks, from the energy of a 1982 Hopfield network to the attention layer of a
transformer. Each link opens a notebook as executed by <code>course run</code> in {'FAST' if fast else 'FULL'}
mode, rendered with its figures; {n_ok} of {len(results)} notebooks ran without error. Interactive widgets
need a running kernel: open the notebook in JupyterLab (<code>make lab</code>) to move their controls.</p>
<h2>Course map</h2>
<p id="total">In all, about {lectures} minutes of lectures and {assignments} minutes of assignments \
({(lectures + assignments) / 60:.1f} hours).</p>
<table>
<tr><th>#</th><th>chapter and sections</th><th>lecture</th><th>assignment</th><th>time (lecture + assignment)</th></tr>
{chr(10).join(course_map_rows(results, out_dir, root))}
</table>
<h2>Timings of this build</h2>
<table id="timings">
<tr><th>notebook</th><th class="num">seconds</th><th>status</th></tr>
{chr(10).join(timing_rows(results, out_dir))}
</table>
</body></html>
"""
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
