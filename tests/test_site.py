"""The course site: time estimates read from the notebooks, the course map, links and the timing table."""

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_tools.run import RunResult
from course_tools.site import notebook_info, write_site


def _notebook(path: Path, *markdown: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=[new_markdown_cell(m) for m in markdown] + [new_code_cell("x = 1")])
    nbformat.write(nb, path)
    return path


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


def _course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    _notebook(root / "notebooks" / "01_energy.ipynb",
              "# 01 · Energy\n\n**Time: about 50 minutes.** Part of the course.",
              "## 1. States & energy (10 min)\ntext\n## 2. One memory (40 min)", "## References")
    _notebook(root / "solutions" / "01_energy.ipynb", "# 01 · Assignment\n\n**Time: about 40 minutes.**")
    _notebook(root / "notebooks" / "02_hebb.ipynb", "# 02 · Hebb\n\n**Time: about 45 minutes.**",
              "## 1. Hebb's rule (45 min)")
    _notebook(root / "solutions" / "02_hebb.ipynb", "# 02 · Assignment two")
    return root


def test_notebook_info_reads_the_real_chapter_01():
    info = notebook_info(ROOT / "notebooks" / "01_energy.ipynb")
    assert info.title.startswith("01 · Energy")
    assert info.minutes == 50
    assert len(info.sections) >= 5 and info.sections[0] == ("1. States and energy", 10)
    assert sum(m for _, m in info.sections) == info.minutes  # the sections add up to the stated time
    assert notebook_info(ROOT / "solutions" / "01_energy.ipynb").minutes == 70


def test_notebook_info_survives_a_broken_file(tmp_path):
    bad = tmp_path / "03_bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    info = notebook_info(bad)
    assert (info.title, info.minutes, info.sections) == ("03_bad", None, [])


def test_index_has_the_course_map_times_links_and_timings(tmp_path):
    root = _course(tmp_path)
    out = tmp_path / "build"
    html_dir = out / "html" / "notebooks"
    html_dir.mkdir(parents=True)
    (html_dir / "01_energy.html").write_text("<html>lecture 01</html>", encoding="utf-8")
    results = [
        RunResult("notebooks/01_energy.ipynb", 12.34, True, html=str(html_dir / "01_energy.html")),
        RunResult("solutions/01_energy.ipynb", 3.0, False, error="cell In [4]: ValueError: boom"),
    ]
    index = write_site(results, out, fast=True, root=root)
    page = index.read_text(encoding="utf-8")

    assert "about 95 minutes of lectures and 40 minutes of assignments (2.2 hours)" in page
    assert index == out / "index.html" and "FAST" in page and "1 of 2 notebooks ran without error" in page
    ch01 = re.search(r"<tr id='ch01'>(.*?)</tr>", page, re.S).group(1)
    assert "<b>Energy</b>" in ch01 and "States &amp; energy" in ch01 and "(40 min)" in ch01
    assert "50 min + 40 min" in ch01 and "90 min in all" in ch01
    assert "12.3 s" in ch01 and "FAILED: cell In [4]: ValueError: boom" in ch01
    ch02 = re.search(r"<tr id='ch02'>(.*?)</tr>", page, re.S).group(1)
    assert "not run in this build" in ch02 and "45 min + &ndash;" in ch02

    timings = page.split('id="timings"')[1]
    assert re.search(r"notebooks/01_energy.ipynb</a></td><td class='num'>12.3</td><td class='ok'>ok", timings)
    assert "solutions/01_energy.ipynb</td><td class='num'>3.0</td><td class='failed'>FAILED" in timings
    assert "<th class='num'>15.3</th>" in timings

    links = _Links()
    links.feed(page)
    assert links.hrefs and all(h == "html/notebooks/01_energy.html" for h in links.hrefs)
    assert all((out / h).is_file() for h in links.hrefs)  # every link resolves from the index


def test_the_real_course_map_lists_every_chapter(tmp_path):
    """On the repository itself: one row per chapter in notebooks/, chapter 01 with its 50 + 70 minutes."""
    page = write_site([], tmp_path, fast=False, root=ROOT).read_text(encoding="utf-8")
    chapters = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert re.findall(r"<tr id='ch(\d\d)'>", page) == chapters
    assert "FULL" in page and "50 min + 70 min" in page and "not run in this build" in page
