"""The course site: pages in course order, hidden machinery, widget stills, the course map, a real Sphinx build."""

import json
import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from course_tools import site
from course_tools.author import REPO_URL, code, md, parameters, write
from course_tools.run import RunResult, write_timings
from course_tools.site import (
    Page,
    SiteError,
    build_site,
    course_map_markdown,
    course_pages,
    load_timings,
    notebook_info,
    prepare_notebook,
    widget_stills,
)

OWNER_REPO = REPO_URL.removeprefix("https://github.com/")


def _tiny_course(root: Path) -> Path:
    """Two chapters: lecture (with math and a section time), solution, blank exercise; chapter 01 'executed'."""
    for folder in ("notebooks", "solutions", "exercises"):
        (root / folder).mkdir(parents=True)
    for ch, name, title in (("01", "01_energy", "Energy: downhill"), ("02", "02_hebb", "Hebb")):
        write(root / "notebooks" / f"{name}.ipynb", [
            md(f"# {ch} · {title}\n\n**Time: about 30 minutes.**"), parameters(),
            md("## 1. States of $\\pm 1$ units (20 min)\n\nThe energy $E(s) = -\\tfrac12 s^\\top W s$ falls."),
            code("print('lecture output 7b1c')"), md("## 2. Storkey's rule (10 min)\n\nMore.")])
        write(root / "solutions" / f"{name}.ipynb", [
            md(f"# {ch} · Assignment\n\n**Time: about 20 minutes.**"), parameters(),
            code("def f():\n    ### BEGIN SOLUTION\n    return 'secret 42'\n    ### END SOLUTION")])
        write(root / "exercises" / f"{name}.ipynb", [
            md(f"# {ch} · Assignment\n\n**Time: about 20 minutes.**"), parameters(),
            code("def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()")])
    executed = root / "build" / "executed" / "notebooks" / "01_energy.ipynb"
    executed.parent.mkdir(parents=True)
    nb = nbformat.read(root / "notebooks" / "01_energy.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="executed output 9d2e\n")]
    nbformat.write(nb, executed)
    return root


def test_notebook_info_reads_the_real_chapter_01():
    info = notebook_info(ROOT / "notebooks" / "01_energy.ipynb")
    assert info.title.startswith("01 · Energy")
    assert info.minutes == 55
    assert len(info.sections) >= 5 and info.sections[0] == ("1. States and energy", 10)
    assert sum(m for _, m in info.sections) == info.minutes  # the sections add up to the stated time
    assert notebook_info(ROOT / "exercises" / "01_energy.ipynb").minutes == 70


def test_notebook_info_survives_a_broken_file(tmp_path):
    bad = tmp_path / "03_bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    info = notebook_info(bad)
    assert (info.title, info.minutes, info.sections) == ("03_bad", None, ())


def test_pages_come_in_course_order_with_blank_assignments_and_no_solutions(tmp_path):
    root = _tiny_course(tmp_path / "c")
    pages = course_pages(root)
    assert [(p.chapter, p.kind, p.repo_path) for p in pages] == [
        ("01", "lecture", "notebooks/01_energy.ipynb"), ("01", "assignment", "exercises/01_energy.ipynb"),
        ("02", "lecture", "notebooks/02_hebb.ipynb"), ("02", "assignment", "exercises/02_hebb.ipynb")]
    assert pages[0].executed and pages[0].source == root / "build/executed/notebooks/01_energy.ipynb"
    assert not pages[2].executed and pages[2].source == root / "notebooks/02_hebb.ipynb"
    with_solutions = course_pages(root, with_solutions=True)
    assert [p.kind for p in with_solutions] == ["lecture", "assignment", "solution"] * 2


def test_the_real_course_has_a_lecture_and_a_blank_assignment_per_chapter():
    pages = course_pages(ROOT)
    chapters = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [p.chapter for p in pages] == [c for c in chapters for _ in (0, 1)]
    assert all(p.repo_path.startswith("exercises/") for p in pages if p.kind == "assignment")
    assert not any("solutions" in p.repo_path or "solutions" in str(p.source) for p in pages)


def test_prepare_hides_machinery_notes_the_page_and_blanks_an_assignment():
    nb = nbformat.v4.new_notebook(cells=[md("# 01 · T"), code("setup", tags=("setup",)),
                                         code("FAST = None", tags=("parameters",)),
                                         code("FAST = True", tags=("injected-parameters",)), code("x = 1")])
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[-1].execution_count = 3
    lecture = prepare_notebook(nb, Page("01", "lecture", "notebooks/01_t.ipynb", Path("x"), True),
                               {"seconds": 12.5, "ok": True, "mode": "FAST"})
    hidden = [c.source for c in lecture.cells if "remove-cell" in c.metadata.get("tags", [])]
    assert hidden == ["setup", "FAST = None", "FAST = True"]
    assert "remove-cell" not in nb.cells[1].metadata["tags"], "the notebook given must not change"
    note = lecture.cells[1]
    assert note.cell_type == "markdown" and "FAST mode (12.5 s)" in note.source and "make lab" in note.source
    assert lecture.cells[-1].outputs, "a lecture keeps its outputs"
    task = prepare_notebook(nb, Page("01", "assignment", "exercises/01_t.ipynb", Path("x"), False))
    assert task.cells[-1].outputs == [] and task.cells[-1].execution_count is None
    assert "blank assignment" in task.cells[1].source and "course check exercises/01_t.ipynb" in task.cells[1].source
    not_run = prepare_notebook(nb, Page("02", "lecture", "notebooks/02_t.ipynb", Path("x"), False))
    assert "not run for this build" in not_run.cells[1].source


def test_widgets_become_a_still_with_a_line_saying_how_to_run_them():
    png = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    models = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_title", "IPY_MODEL_out"]}},
        "title": {"model_name": "HTMLModel", "state": {"value": "<b>Damage a letter</b>"}},
        "out": {"model_name": "OutputModel", "state": {"outputs": [dict(png)]}},
    }
    nb = nbformat.v4.new_notebook(cells=[code("w")])
    nb.metadata["widgets"] = {site.WIDGET_STATE: {"state": models}}
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={
        site.WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0}, "text/plain": "VBox()"})]
    assert widget_stills(nb) == 1
    outs = nb.cells[0].outputs
    assert len(outs) == 2 and site.WIDGET_VIEW not in json.dumps(outs)
    line = outs[0]["data"]["text/html"]
    assert "<b>Damage a letter</b>" in line and "interactive widget" in line and "make lab" in line
    assert outs[1]["data"]["image/png"] == "iVBORw0KGgo="
    assert "widgets" not in nb.metadata, "no widget state left for a page to load widget code for"


def test_course_map_has_times_sections_and_measured_run_times(tmp_path):
    root = _tiny_course(tmp_path / "c")
    timings = {"notebooks/01_energy.ipynb": {"seconds": 9.62, "ok": True, "mode": "FAST"},
               "solutions/01_energy.ipynb": {"seconds": 1.4, "ok": False, "mode": "FAST"}}
    text = course_map_markdown(course_pages(root), timings, root)
    assert "about 60 minutes of lectures and 40 minutes of assignments (1.7 hours)" in text
    row01 = next(line for line in text.splitlines() if line.startswith("| 01 |"))
    assert "**Energy: downhill**" in row01 and "States of $\\pm 1$ units (20 min)" in row01
    assert "{doc}`lecture <notebooks/01_energy>`" in row01 and "{doc}`assignment <exercises/01_energy>`" in row01
    assert "30 + 20 min (50 min)" in row01 and "9.6 s + 1.4 s FAILED" in row01
    row02 = next(line for line in text.splitlines() if line.startswith("| 02 |"))
    assert "not run + not run" in row02 and "solutions" not in row02


def test_run_times_merge_across_partial_runs(tmp_path):
    path = tmp_path / "timings.json"
    write_timings([RunResult("notebooks/01_energy.ipynb", 3.0, True)], path, fast=True)
    write_timings([RunResult("notebooks/02_hebbian.ipynb", 5.0, False, error="boom"),
                   RunResult("notebooks/01_energy.ipynb", 4.25, True)], path, fast=False)
    timings = load_timings(path)
    assert list(timings) == ["notebooks/01_energy.ipynb", "notebooks/02_hebbian.ipynb"]  # course order
    assert timings["notebooks/01_energy.ipynb"] == {"notebook": "notebooks/01_energy.ipynb", "seconds": 4.25,
                                                    "ok": True, "error": "", "mode": "FULL"}
    assert timings["notebooks/02_hebbian.ipynb"]["error"] == "boom"
    assert load_timings(tmp_path / "missing.json") == {}


def test_a_missing_mathjax_package_is_said_clearly(monkeypatch):
    monkeypatch.setattr(site.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SiteError, match="MathJax is missing.*sphinx-mathjax-offline.*never loads it from a CDN"):
        site.mathjax_static_dir()


def test_jobs_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="jobs"):
        build_site(out_dir=tmp_path / "site", root=_tiny_course(tmp_path / "c"), jobs=0)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tiny course built with Sphinx with solutions, then again without them into the same folder."""
    root = _tiny_course(tmp_path_factory.mktemp("course"))
    write_timings([RunResult("notebooks/01_energy.ipynb", 2.5, True)], root / "build" / "timings.json", fast=True)
    solved = build_site(root=root, with_solutions=True)
    solved_page = (root / "build" / "site" / "solutions" / "01_energy.html").read_text(encoding="utf-8")
    plain = build_site(root=root)
    pages = {p: p.read_text(encoding="utf-8") for p in (root / "build" / "site").rglob("*.html")}
    return root, plain, pages, (solved, solved_page)


def test_the_site_has_every_page_in_order_with_titles_and_prev_next(built):
    root, result, pages, _ = built
    out = root / "build" / "site"
    assert result.index == out / "index.html" and result.index.is_file()
    names = ["notebooks/01_energy", "exercises/01_energy", "notebooks/02_hebb", "exercises/02_hebb"]
    assert [p.docname for p in result.pages] == names
    assert not (out / "solutions").exists(), "no solution without --with-solutions"
    home = pages[out / "index.html"]
    links = [re.search(rf'href="({re.escape(n)}\.html)"', home) for n in names]
    assert all(links), "the sidebar links every page"
    assert [home.index(m.group(0)) for m in links] == sorted(home.index(m.group(0)) for m in links)
    lecture = pages[out / "notebooks" / "01_energy.html"]
    assert "<title>01 · Energy: downhill" in lecture
    assert re.search(r'class="prev-next-area".*?href="\.\./index\.html".*?href="\.\./exercises/01_energy\.html"',
                     lecture, re.S), "previous: the home page; next: the chapter's assignment"
    assert "executed output 9d2e" in lecture, "the executed copy, with its outputs"
    assert "FAST mode (2.5 s)" in lecture
    assert "lecture output 7b1c" in pages[out / "notebooks" / "02_hebb.html"], "a page not run shows its source"
    assert "not run for this build" in pages[out / "notebooks" / "02_hebb.html"]


def test_the_site_hides_machinery_and_has_launch_buttons(built):
    root, _, pages, _ = built
    out = root / "build" / "site"
    for name in ("notebooks/01_energy.html", "exercises/01_energy.html"):
        page = pages[out / name]
        assert "google.colab" not in page and "FAST = None" not in page, f"{name} shows a set-up cell"
        ipynb = name.replace(".html", ".ipynb")
        assert f"https://colab.research.google.com/github/{OWNER_REPO}/blob/main/{ipynb}" in page
        assert f"https://mybinder.org/v2/gh/{OWNER_REPO}/main?urlpath=lab/tree/{ipynb}" in page
        assert f'href="../_sources/{ipynb}"' in page, "a download button for the .ipynb"
        assert (out / "_sources" / ipynb).is_file()
    assert "YOUR CODE HERE" in pages[out / "exercises/01_energy.html"]
    assert "secret 42" not in "".join(pages.values())


def test_the_site_serves_its_own_mathjax_and_loads_nothing_from_elsewhere(built):
    root, _, pages, _ = built
    out = root / "build" / "site"
    assert (out / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
    assert any((out / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))
    for path, page in pages.items():
        sources = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', page)
        remote = [s for s in sources if re.match(r"(https?:)?//", s)]
        assert not remote, f"{path.name} loads {remote}"
    lecture = pages[out / "notebooks" / "01_energy.html"]
    assert 'src="../_static/mathjax/tex-chtml.js' in lecture
    assert r"\(\pm 1\)" in lecture or r"\(E(s) = -\tfrac12 s^\top W s\)" in lecture, "math left for MathJax"
    assert re.search(r'States of <span class="math[^"]*">\\\(\\pm 1\\\)</span> units', pages[out / "index.html"]), \
        "math in the course map too"


def test_with_solutions_adds_the_solved_assignments_after_each_blank_one(built):
    root, _, pages, (solved, page) = built
    assert [p.kind for p in solved.pages] == ["lecture", "assignment", "solution"] * 2
    assert "secret 42" in page and "--with-solutions" in page
    assert 'href="../notebooks/02_hebb.html"' in page, "next after chapter 01's solution: chapter 02's lecture"
    out = root / "build" / "site"
    assert not (out / "solutions").exists() and not (out / "_sources" / "solutions").exists(), \
        "a build without the flag removes the solutions an earlier build left"
    assert "solutions/01_energy" not in (out / "searchindex.js").read_text(encoding="utf-8"), "nor searches them"
