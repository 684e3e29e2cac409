"""The course site: a Sphinx book (myst-nb + sphinx-book-theme) of the executed course that works offline.

``build_site()`` (``course site``, ``make site``) lays out a Sphinx source folder under
``build/site-src/`` and builds HTML into ``build/site/``:

- pages in course order, chapter by chapter: the lecture as executed by ``course run``
  (``build/executed/notebooks/``; the source without outputs, saying so, where it has not run), then the
  BLANK assignment from ``exercises/``; the solved assignment only with ``with_solutions=True``
  (``course site --with-solutions``);
- the pages keep their repository paths (``notebooks/01_energy``, ``exercises/01_energy``), so the
  theme's launch buttons (Binder, Colab, download .ipynb) open the right file;
- setup and parameters cells (and the cell papermill injects) get myst-nb's ``remove-cell`` tag here, at
  build time; the sources are never edited;
- every widget is replaced by a still of what it drew in the run (read from the notebook's saved widget
  state) and a line saying how to run it; no widget JavaScript is loaded from anywhere;
- math is typeset by MathJax 3 served from the site itself (``_static/mathjax``, from the PyPI package
  ``sphinx-mathjax-offline`` pinned in requirements.txt): nothing is fetched at build time or when a page
  is read;
- the home page is the course map: chapters, sections and time estimates read from the notebooks
  (``**Time: about X minutes.**``, ``## 1. Section (10 min)``), and the run times ``course run`` measured
  (``build/timings.json``).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .author import REPO_URL
from .notebooks import ROOT, NotebookError, chapter_of, read_notebook, tags

__all__ = [
    "HIDDEN_TAGS",
    "NotebookInfo",
    "Page",
    "SiteError",
    "SiteResult",
    "build_site",
    "course_map_markdown",
    "course_minutes",
    "course_pages",
    "load_timings",
    "mathjax_static_dir",
    "notebook_info",
    "prepare_notebook",
    "widget_stills",
]

TIME_RE = re.compile(r"\*\*Time:\s*about\s+(\d+)\s*minutes?\.?\*\*", re.IGNORECASE)
SECTION_RE = re.compile(r"^##\s+(.+?)\s*\((\d+)\s*min\)\s*$")
# Cells a reader of the site does not need: the Colab set-up, the parameters and papermill's injected copy.
HIDDEN_TAGS = ("setup", "parameters", "injected-parameters")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
KINDS = {"lecture": "notebooks", "assignment": "exercises", "solution": "solutions"}
MATHJAX_PACKAGE = "sphinx-mathjax-offline"  # the PyPI package that ships MathJax 3.2.2 (pinned in requirements.txt)


class SiteError(RuntimeError):
    """The site cannot be built: a missing tool or package, or Sphinx failing; the message says which."""


@dataclass(frozen=True)
class NotebookInfo:
    """What the site says about one notebook: its title, total minutes and timed sections."""

    path: Path
    title: str
    minutes: int | None = None
    sections: tuple[tuple[str, int], ...] = ()


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
    return NotebookInfo(path, title or path.stem, minutes, tuple(sections))


def course_minutes(root: Path = ROOT) -> tuple[int, int]:
    """Total minutes stated by the lectures (notebooks/) and by the assignments (exercises/)."""
    lectures = sum(notebook_info(p).minutes or 0 for p in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    tasks = sum(notebook_info(p).minutes or 0 for p in sorted((root / "exercises").glob("[0-9][0-9]_*.ipynb")))
    return lectures, tasks


@dataclass(frozen=True)
class Page:
    """One page of the site: a notebook of the course at its repository path, and the file it is built from."""

    chapter: str
    kind: str  # "lecture" | "assignment" | "solution"
    repo_path: str  # e.g. "notebooks/01_energy.ipynb": the page's path on the site and in the repository
    source: Path  # the executed copy where there is one, else the repository's notebook
    executed: bool

    @property
    def docname(self) -> str:
        return self.repo_path.removesuffix(".ipynb")


def course_pages(root: Path = ROOT, executed_dir: Path | None = None, with_solutions: bool = False) -> list[Page]:
    """The site's pages in course order: per chapter the lecture, the blank assignment (and the solution).

    Lectures and solutions come from ``executed_dir`` (what ``course run`` wrote) where they are there;
    the assignment is always the blank notebook of ``exercises/`` (its outputs, if any, dropped).
    """
    executed_dir = Path(executed_dir) if executed_dir is not None else root / "build" / "executed"
    kinds = ["lecture", "assignment"] + (["solution"] if with_solutions else [])
    chapters = sorted({chapter_of(p) for folder in ("notebooks", "exercises")
                       for p in (root / folder).glob("[0-9][0-9]_*.ipynb")})
    pages = []
    for ch in chapters:
        for kind in kinds:
            folder = KINDS[kind]
            found = sorted((root / folder).glob(f"{ch}_*.ipynb"))
            if not found:
                continue
            rel = f"{folder}/{found[0].name}"
            ran = executed_dir / rel
            use_run = kind != "assignment" and ran.is_file()
            pages.append(Page(ch, kind, rel, ran if use_run else found[0], use_run))
    return pages


def load_timings(path: Path) -> dict[str, dict]:
    """{'notebooks/01_energy.ipynb': {'seconds', 'ok', 'mode', 'error'}} from ``course run``'s timings.json."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
    return {r["notebook"]: r for r in data.get("results", []) if isinstance(r, dict) and "notebook" in r}


# --- notebooks as the site shows them -------------------------------------------------------------------------

def _widget_models(nb) -> dict:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _widget_parts(model_id: str, models: dict, seen: set) -> tuple[list[str], list[dict]]:
    """(titles, outputs) drawn by a widget and its children, depth first, from the saved widget state."""
    if model_id in seen or model_id not in models:
        return [], []
    seen.add(model_id)
    model = models[model_id]
    state = model.get("state", {})
    titles, outputs = [], []
    if model.get("model_name") == "HTMLModel" and state.get("value"):
        titles.append(re.sub(r"<[^>]+>", "", state["value"]).strip())
    if model.get("model_name") == "OutputModel":
        outputs.extend(o for o in state.get("outputs", []) if o.get("output_type") in ("display_data", "stream"))
    for child in state.get("children", []):
        ref = child.removeprefix("IPY_MODEL_") if isinstance(child, str) else ""
        t, o = _widget_parts(ref, models, seen)
        titles += t
        outputs += o
    return titles, outputs


def widget_stills(nb) -> int:
    """Replace every widget output by a line saying how to run it and the still it drew in the run.

    The still comes from the Output widgets' saved state (nbclient stores it in the executed notebook).
    Returns the number of widgets replaced; drops the saved widget state, so no page loads widget code.
    """
    models = _widget_models(nb)
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.get("outputs"):
            continue
        new_outputs = []
        for out in cell.outputs:
            view = out.get("data", {}).get(WIDGET_VIEW) if out.get("output_type") in ("display_data",
                                                                                       "execute_result") else None
            if view is None:
                new_outputs.append(out)
                continue
            replaced += 1
            titles, drawn = _widget_parts(view.get("model_id", ""), models, set())
            name = f"<b>{titles[0]}</b>: an" if titles else "An"
            line = (f"<p class='course-widget-still'>{name} interactive widget, shown here as a still of what it "
                    "drew when the course ran. To move its controls, run this notebook: the launch buttons at "
                    "the top of the page open it on Binder or Colab, or locally <code>make lab</code>.</p>")
            new_outputs.append(nbformat.v4.new_output("display_data", data={"text/html": line}))
            new_outputs.extend(nbformat.from_dict(copy.deepcopy(o)) for o in drawn)
        cell.outputs = new_outputs
    nb.metadata.pop("widgets", None)
    return replaced


def _note(text: str):
    cell = nbformat.v4.new_markdown_cell(f"```{{note}}\n{text}\n```")
    cell.metadata["tags"] = ["course-site-note"]
    return cell


def prepare_notebook(nb, page: Page, timing: dict | None = None):
    """A copy of ``nb`` as the site shows it (the file on disk is never touched).

    Setup, parameters and injected-parameters cells get the ``remove-cell`` tag; widgets become stills;
    an assignment loses any outputs; a short note under the title says what the page is and how to run it.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell_tags = tags(cell)
        if any(t in cell_tags for t in HIDDEN_TAGS) and "remove-cell" not in cell_tags:
            cell.metadata["tags"] = cell_tags + ["remove-cell"]
    path = page.repo_path
    if page.kind == "assignment":
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        note = (f"This is the blank assignment. Do it in JupyterLab (`make lab`, then open `{path}`), or open it "
                "on Binder or Colab with the launch buttons at the top of this page (the download button gives "
                f"the `.ipynb`). Each check cell says what is wrong; `course check {path}` gives every verdict.")
    elif not page.executed:
        note = (f"This page shows `{path}` without its outputs: it was not run for this build of the site. "
                "`make course` runs every notebook, then builds the site with their figures.")
    else:
        ran = ""
        if timing:
            ran = f" in {timing.get('mode', 'FAST')} mode ({timing.get('seconds', 0):.1f} s)"
            if not timing.get("ok", True):
                ran += ", and it FAILED: the page shows the error"
        note = (f"Outputs as `course run` computed them{ran}. To run it yourself: `make lab`, or the launch "
                "buttons at the top of this page (Binder, Colab, download `.ipynb`).")
        widget_stills(nb)
    if page.kind == "solution":
        note = f"The solved assignment (this site was built with `--with-solutions`). {note}"
    first_md = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
    nb.cells.insert(first_md + 1, _note(note))
    for i, cell in enumerate(nb.cells):  # ids stay unique after the insertion
        if not cell.get("id"):
            cell.id = f"site-{i:03d}"
    nb.metadata.pop("papermill", None)
    return nb


# --- the home page -------------------------------------------------------------------------------------------

def _cell(text: str) -> str:
    """Text for one cell of a Markdown table."""
    return text.replace("|", "\\|").replace("\n", " ")


def _chapter_title(title: str) -> str:
    return re.sub(r"^\d+\s*·\s*", "", title)


def _seconds(timing: dict | None) -> str:
    if not timing:
        return "not run"
    return f"{timing['seconds']:.1f} s" + ("" if timing.get("ok", True) else " FAILED")


def course_map_markdown(pages: list[Page], timings: dict[str, dict], root: Path = ROOT) -> str:
    """The home page's course map (MyST Markdown): one row per chapter, its sections, times and run times."""
    lectures, tasks = course_minutes(root)
    rows = ["| # | chapter and its sections | read and do | time (lecture + assignment) | measured run time |",
            "| --- | --- | --- | --- | --- |"]
    by_chapter: dict[str, dict[str, Page]] = {}
    for page in pages:
        by_chapter.setdefault(page.chapter, {})[page.kind] = page
    for ch, parts in by_chapter.items():
        lec, task = parts.get("lecture"), parts.get("assignment")
        lec_info = notebook_info(root / lec.repo_path) if lec else None
        task_info = notebook_info(root / task.repo_path) if task else None
        title = _chapter_title((lec_info or task_info).title)
        sections = "; ".join(f"{name} ({m} min)" for name, m in (lec_info.sections if lec_info else ()))
        links = ", ".join(f"{{doc}}`{kind} <{p.docname}>`" for kind, p in parts.items())
        lm = f"{lec_info.minutes}" if lec_info and lec_info.minutes else "–"
        tm = f"{task_info.minutes}" if task_info and task_info.minutes else "–"
        total = sum(i.minutes or 0 for i in (lec_info, task_info) if i)
        run = " + ".join(_seconds(timings.get(p.repo_path.replace("exercises/", "solutions/")))
                         for kind, p in parts.items() if kind in ("lecture", "assignment"))
        rows.append(f"| {ch} | **{_cell(title)}**<br>{_cell(sections)} | {links} | {lm} + {tm} min "
                    f"({total} min) | {run} |")
    modes = sorted({t.get("mode", "FAST") for t in timings.values()})
    measured = (f"Run times are those of the last `course run` ({' and '.join(modes)} mode), lecture + solved "
                "assignment." if timings else "No run times yet: `make course` runs the course, then builds this "
                "site.")
    return "\n".join([
        f"In all, about {lectures} minutes of lectures and {tasks} minutes of assignments "
        f"({(lectures + tasks) / 60:.1f} hours). {measured}", "", *rows, ""])


def _timings_markdown(timings: dict[str, dict]) -> str:
    if not timings:
        return ""
    rows = ["| notebook | mode | seconds | status |", "| --- | --- | ---: | --- |"]
    for name, t in timings.items():
        rows.append(f"| `{name}` | {t.get('mode', 'FAST')} | {t['seconds']:.1f} | "
                    f"{'ok' if t.get('ok', True) else 'FAILED: ' + _cell(t.get('error', ''))} |")
    total = sum(t["seconds"] for t in timings.values())
    rows.append(f"| **total** | | **{total:.1f}** | |")
    return "## Timings of the last run\n\n" + "\n".join(rows) + "\n"


def _index_markdown(pages: list[Page], timings: dict[str, dict], root: Path, with_solutions: bool) -> str:
    toctrees = []
    by_chapter: dict[str, list[Page]] = {}
    for page in pages:
        by_chapter.setdefault(page.chapter, []).append(page)
    for ch, parts in by_chapter.items():
        title = _chapter_title(notebook_info(root / parts[0].repo_path).title).split(":")[0]
        entries = "\n".join(f"{p.kind.capitalize()} <{p.docname}>" for p in parts)
        toctrees.append(f"```{{toctree}}\n:caption: {ch} · {title}\n:hidden:\n\n{entries}\n```\n")
    solutions = ("This build includes the solved assignments." if with_solutions else
                 "Assignments are blank: the solutions are not part of this site.")
    return f"""# From Hopfield networks to attention

A course in Jupyter notebooks, from the energy of a 1982 Hopfield network to the attention layer of a
transformer. Each chapter is a **lecture** (read it here with the figures of the last run, or run it) and an
**assignment**: functions to write, each followed by a check cell that says what is wrong. {solutions}

To run a page, use the launch buttons at its top (Binder: the whole course in JupyterLab; Colab: one
notebook; or download the `.ipynb`), or, in a checkout of the course, `make lab`. Search is at the top left;
previous and next links are at the bottom of every page.

## Course map

{course_map_markdown(pages, timings, root)}
{_timings_markdown(timings)}
{chr(10).join(toctrees)}"""


# --- Sphinx --------------------------------------------------------------------------------------------------

def mathjax_static_dir() -> Path:
    """The folder holding ``mathjax/tex-chtml.js`` from the pinned PyPI package; SiteError if it is missing."""
    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        static = Path(loc) / "static"
        if (static / "mathjax" / "tex-chtml.js").is_file():
            return static
    raise SiteError(
        f"MathJax is missing: the site serves its own copy, from the PyPI package {MATHJAX_PACKAGE} "
        "(pinned in requirements.txt), and never loads it from a CDN. Install the course's environment "
        "(`make venv`, or `.venv/bin/pip install -r requirements.txt`); if the package registry cannot be "
        "reached, the site cannot be built with rendered math.")


def _conf_py(title: str, static: Path) -> str:
    options = {
        "repository_url": REPO_URL,
        "repository_branch": "main",
        "path_to_docs": "",  # pages keep their repository paths, so launch buttons open the right file
        "use_repository_button": True,
        "use_download_button": True,
        "use_fullscreen_button": False,
        "home_page_in_toc": True,
        "show_toc_level": 2,
        "launch_buttons": {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com",
                           "notebook_interface": "jupyterlab"},
    }
    return f'''# Written by course_tools/site.py for each build; edit that file, not this one.
project = {title!r}
author = "the course's authors"
html_title = {title!r}
extensions = ["myst_nb"]
nb_execution_mode = "off"  # the notebooks were executed by `course run`; Sphinx only renders them
nb_output_stderr = "show"
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
html_theme = "sphinx_book_theme"
html_theme_options = {options!r}
html_static_path = [{str(static)!r}]  # holds mathjax/: MathJax 3 served by the site itself
mathjax_path = "mathjax/tex-chtml.js"
html_sourcelink_suffix = ""  # the download button gives the .ipynb itself
html_last_updated_fmt = None
exclude_patterns = ["_build"]
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]
'''


def _write_if_changed(path: Path, text: str) -> None:
    """Write only on change, so that Sphinx re-reads only the pages that changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class SiteResult:
    """What ``build_site`` made: the home page, the pages in order, the time it took and Sphinx's warnings."""

    index: Path
    pages: tuple[Page, ...]
    seconds: float
    warnings: tuple[str, ...] = field(default=())


def build_site(out_dir: Path | None = None, root: Path = ROOT, executed_dir: Path | None = None,
               timings_path: Path | None = None, with_solutions: bool = False, jobs: int = 1) -> SiteResult:
    """Lay out build/site-src/ from the course and build the HTML site into ``out_dir`` (default build/site/)."""
    start = time.perf_counter()
    build = root / "build"
    out_dir = Path(out_dir) if out_dir is not None else build / "site"
    if importlib.util.find_spec("myst_nb") is None or importlib.util.find_spec("sphinx_book_theme") is None:
        raise SiteError("Sphinx, myst-nb or sphinx-book-theme is missing: install the course's environment "
                        "(`make venv`, or `.venv/bin/pip install -r requirements.txt`).")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    static = mathjax_static_dir()
    src = out_dir.parent / f"{out_dir.name}-src"
    timings = load_timings(timings_path if timings_path is not None else build / "timings.json")
    pages = course_pages(root, executed_dir, with_solutions)
    if not pages:
        raise SiteError(f"no notebooks under {root / 'notebooks'} or {root / 'exercises'}")
    wanted = {"conf.py", "index.md"}
    for page in pages:
        nb = prepare_notebook(read_notebook(page.source), page, timings.get(page.repo_path))
        _write_if_changed(src / page.repo_path, nbformat.writes(nb) + "\n")
        wanted.add(page.repo_path)
    for old in src.rglob("*.ipynb"):  # e.g. solutions of an earlier --with-solutions build
        if old.relative_to(src).as_posix() not in wanted:
            old.unlink()
    title = "From Hopfield networks to attention"
    _write_if_changed(src / "conf.py", _conf_py(title, static))
    _write_if_changed(src / "index.md", _index_markdown(pages, timings, root, with_solutions))
    if not with_solutions and (out_dir / "solutions").exists():  # no solution left over from an earlier build
        shutil.rmtree(out_dir / "solutions")
        shutil.rmtree(out_dir / "_sources" / "solutions", ignore_errors=True)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", str(jobs),
           "-d", str(out_dir.parent / f"{out_dir.name}-doctrees"), str(src), str(out_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=str(root))
    if done.returncode != 0:
        raise SiteError(f"Sphinx failed (exit {done.returncode}):\n{(done.stderr or done.stdout)[-3000:]}")
    warnings = tuple(line for line in done.stderr.splitlines() if "WARNING" in line)
    return SiteResult(out_dir / "index.html", tuple(pages), time.perf_counter() - start, warnings)
