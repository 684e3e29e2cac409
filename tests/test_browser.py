"""A real browser, with the network blocked: the course site and JupyterLab as a learner uses them.

Drives Debian's Chromium (/usr/bin/chromium, installed by scripts/install-browser.sh, which `make test` runs)
through Playwright for Python. Every page runs in a browser context whose router aborts any request that is
not for this machine (127.0.0.1 / localhost), and each test checks that no request left the machine.

- The site: a FAST site is built once (chapter 01's lecture executed, the rest from their sources) and served
  on localhost. Math is typeset by the site's own MathJax on every page (no raw `$`), the search finds
  "Storkey", next/previous lead through the course in order, no page is a solution, widgets are stills.
- JupyterLab on a free localhost port with a token, serving copies of the course's notebooks (nothing a
  browser does can save into the repository), with the course's settings overrides (no news pop-up):
  chapter 01 runs top to bottom and its widget responds; the learner's flow on assignment 01 (a wrong
  answer, its feedback, the right answer, the pass line).
Screenshots go under build/screenshots/. Skips only where no Chromium can be had: missing, and the install
script cannot install it here.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import ROOT

from course_tools.notebooks import read_notebook

NOTEBOOK = ROOT / "notebooks" / "01_energy.ipynb"
ASSIGNMENT = ROOT / "exercises" / "01_energy.ipynb"
LAB_OVERRIDES = ROOT / "lab-settings" / "hopfield-course.json"
SHOTS = ROOT / "build" / "screenshots"
INSTALL = ROOT / "scripts" / "install-browser.sh"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
# Root needs --no-sandbox; on a closed network Chromium must not try its background connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_S = 45  # generous: two busy cores
RUN_ALL_S = 75
ERROR_RE = re.compile(r"Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b.*:", re.M)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Every URL that is not for this machine. A regex (not a Python callable) is matched inside Playwright's
# driver, so the many local requests of JupyterLab never wait for this process; only others reach route().
NOT_LOCAL = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/|data:|blob:|about:)")

# A plausible wrong answer to assignment 01's first exercise (the factor 1/2 forgotten), then the right one.
WRONG_ENERGY = """def energy(W, states, b=None):
    states = np.asarray(states, dtype=float)
    e = -np.sum((states @ W.T) * states, axis=-1)
    if b is not None:
        e = e - states @ np.asarray(b, dtype=float)
    return e"""
RIGHT_ENERGY = WRONG_ENERGY.replace("e = -np.sum(", "e = -0.5 * np.sum(")


def _chromium_or_skip() -> Path:
    """The Chromium binary. When it is missing, run scripts/install-browser.sh (what `make test` runs first);
    skip, with the script's reason, only when that cannot install it (not root, no apt-get, apt-get failing)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        done = subprocess.run(["sh", str(INSTALL)], capture_output=True, text=True, timeout=600)
        if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
            why = (done.stderr or done.stdout).strip().splitlines()[-3:]
            if os.environ.get("CI"):  # CI can always install it: a missing browser there is a failure
                pytest.fail(f"CI without a browser: {INSTALL.name} exit {done.returncode}: {' / '.join(why)}")
            pytest.skip(f"no browser can be had: {CHROMIUM} is missing and {INSTALL.name} could not install it "
                        f"(exit {done.returncode}: {' / '.join(why)})")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_lab_settings(settings: Path) -> None:
    """User settings for this throw-away server: every cell in the page, no autosave (news: the course's own)."""
    files = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": '{"autosave": false}',
    }
    for name, text in files.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(text, encoding="utf-8")


@dataclass
class Offline:
    """What the browser asked for: every URL, and those the router aborted because they were not local."""

    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def route(self, route) -> None:
        """Abort: only requests for other machines come here (see NOT_LOCAL)."""
        self.blocked.append(route.request.url)
        route.abort()

    def prove_blocked(self, page) -> None:
        """A request for another machine fails, and the router saw it (then forget it: it was ours)."""
        probe = "https://example.org/course-network-probe"
        got = page.evaluate(f"() => fetch({probe!r}).then(() => 'reached', () => 'blocked')")
        assert got == "blocked" and probe in self.blocked, f"the network is not blocked: {got}, {self.blocked}"
        self.blocked.remove(probe)
        self.requested[:] = [u for u in self.requested if u != probe]

    def assert_nothing_left_the_machine(self) -> None:
        assert self.requested, "the browser made no request at all"
        outside = [u for u in self.requested if urlparse(u).hostname not in LOCAL_HOSTS
                   and not u.startswith(("data:", "blob:", "about:"))]
        assert not self.blocked and not outside, f"requests for other machines: {(self.blocked + outside)[:10]}"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, one for the whole session."""
    from playwright.sync_api import sync_playwright

    chromium = _chromium_or_skip()
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        pw.stop()


@pytest.fixture
def offline(browser):
    """(context, Offline): a fresh browser context whose network stops at this machine."""
    net = Offline()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(NOT_LOCAL, net.route)
    context.on("request", lambda request: net.requested.append(request.url))
    context.set_default_timeout(30_000)
    yield context, net
    context.close()


@dataclass
class Lab:
    base: str
    token: str
    root: Path

    def api(self, path: str):
        """GET a JSON resource of the server's REST API."""
        with urllib.request.urlopen(f"{self.base}/api/{path}?token={self.token}", timeout=5) as r:
            return json.loads(r.read())

    def url(self, path: str) -> str:
        """``path`` opened in a workspace of its own, so that no other test's notebook comes back with it."""
        return f"{self.base}/lab/workspaces/{Path(path).parent.name}-{Path(path).stem}/tree/{path}?token={self.token}"

    def wait_for_connected_idle_kernel(self, timeout: float) -> None:
        """Until a kernel is running, idle and connected to the page (the page's kernel is ready)."""
        deadline = time.monotonic() + timeout
        kernels: list = []
        while time.monotonic() < deadline:
            kernels = self.api("kernels")
            if any(k["execution_state"] == "idle" and k["connections"] >= 1 for k in kernels):
                return
            time.sleep(0.5)
        pytest.fail(f"no idle kernel connected to the page after {timeout} s: {kernels}")

    def wait_until_idle(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(k["execution_state"] == "idle" for k in self.api("kernels")):
                return
            time.sleep(0.3)
        pytest.fail(f"kernels still busy after {timeout} s")


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab serving copies of chapter 01's lecture and assignment, with the course's settings overrides."""
    _chromium_or_skip()
    base = tmp_path_factory.mktemp("lab")
    root = base / "course"
    for src in (NOTEBOOK, ASSIGNMENT):
        (root / src.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(src, root / src.parent.name / src.name)
    _write_lab_settings(base / "settings")
    # What `make lab` installs into .venv/share/jupyter/lab/settings/overrides.d/, here in a private copy.
    app_settings = base / "app-settings"
    (app_settings / "overrides.d").mkdir(parents=True)
    shutil.copy(LAB_OVERRIDES, app_settings / "overrides.d" / LAB_OVERRIDES.name)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel must use the inline backend
    env.update(COURSE_FAST="1", JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               JUPYTER_DATA_DIR=str(base / "data"),
               JUPYTERLAB_SETTINGS_DIR=str(base / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"))
    log = (base / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.app_settings_dir={app_settings}",
         "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{(base / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s:\n"
                            f"{(base / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield Lab(f"http://127.0.0.1:{port}", token, root)
    finally:
        server.terminate()  # on SIGTERM the server shuts its kernels down, then exits
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # this server's own process group, started above
            server.wait(timeout=10)
        log.close()


def _open_notebook(page, lab: Lab, notebook: Path):
    """Open the served copy of ``notebook``; return its execution indicator once the kernel is idle and connected."""
    from playwright.sync_api import expect

    path = f"{notebook.parent.name}/{notebook.name}"
    n_code = sum(c["cell_type"] == "code" for c in read_notebook(notebook).cells)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(lab.url(path), wait_until="domcontentloaded", timeout=60_000)
    try:
        expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible(timeout=60_000)
        lab.wait_for_connected_idle_kernel(timeout=60)
    except BaseException:
        page.screenshot(path=str(SHOTS / f"lab_open_failed_{Path(path).stem}.png"))
        raise
    indicator = page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator").first
    expect(indicator).to_have_attribute("data-status", "idle", timeout=60_000)
    expect(page.locator(".jp-Notebook .jp-CodeCell")).to_have_count(n_code)
    return indicator


def _no_news_toast(page) -> None:
    toasts = page.eval_on_selector_all(".Toastify__toast", "els => els.map(e => e.textContent)")
    assert not [t for t in toasts if "news" in t.lower()], f"JupyterLab asks about news: {toasts}"


def _run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _prompts(page) -> list[str]:
    """The input prompts ('[3]:') of the code cells whose input shows (a collapsed input has none)."""
    shown = page.eval_on_selector_all(".jp-Notebook .jp-CodeCell .jp-InputPrompt",
                                      "els => els.map(e => e.textContent.trim())")
    return [p for p in shown if p]


def _settled(page, image, lab: Lab, timeout: float = 30) -> str:
    """The image's src once the kernel is idle and the src has not changed for a second (redraws done)."""
    deadline = time.monotonic() + timeout
    last = image.get_attribute("src")
    while time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        src = image.get_attribute("src")
        if src == last and all(k["execution_state"] == "idle" for k in lab.api("kernels")):
            return src
        last = src
    pytest.fail(f"the widget kept redrawing for {timeout} s")


def test_jupyterlab_uses_the_course_settings_no_news(lab):
    """The overrides `make lab` installs: JupyterLab never fetches news nor asks about it."""
    url = f"{lab.base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={lab.token}"
    with urllib.request.urlopen(url, timeout=10) as r:
        answer = json.loads(r.read())
    defaults = {k: v.get("default") for k, v in answer["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, defaults
    assert "fetchNews" not in answer.get("settings", {}), "the course's overrides, not a user setting, do it"


def test_chapter_01_runs_in_jupyterlab_and_its_widget_responds(lab, offline):
    from playwright.sync_api import expect

    context, net = offline
    before = NOTEBOOK.read_bytes()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    indicator = _open_notebook(page, lab, NOTEBOOK)
    n_code = sum(c["cell_type"] == "code" for c in json.loads(before)["cells"])

    # Run > Run All Cells, then wait until every code cell has an execution count and the kernel is idle.
    _run_all(page)
    started = time.monotonic()
    while True:  # until Run All has finished: nothing queued or running, the kernel idle
        prompts = _prompts(page)
        if all(p == "[ ]:" for p in prompts) and time.monotonic() > started + 15:
            pytest.fail("Run All Cells did not start any cell within 15 s")
        if (any(p != "[ ]:" for p in prompts) and "[*]:" not in prompts
                and indicator.get_attribute("data-status") == "idle"):
            break
        if time.monotonic() > started + RUN_ALL_S:
            page.screenshot(path=str(SHOTS / "01_energy_timeout.png"))
            pytest.fail(f"cells still running after {RUN_ALL_S} s: prompts {prompts}")
        page.wait_for_timeout(500)
    _no_news_toast(page)

    # No cell shows an error. JupyterLab renders an error as stderr text with its traceback; a
    # "ValueError" the lecture prints on stdout on purpose is fine, and so is a warning.
    stderr = page.eval_on_selector_all(
        '.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
        "els => els.map(e => e.textContent)")
    errors = [o[:800] for o in stderr if ERROR_RE.search(o)]
    assert not errors, f"cells show errors: {errors}"
    # Every code cell ran, once, in order (Run All stops at the first error).
    n_hidden = sum(c.get("metadata", {}).get("jupyter", {}).get("source_hidden", False)
                   for c in json.loads(before)["cells"])  # the set-up and parameters cells, first
    assert prompts == [f"[{i}]:" for i in range(n_hidden + 1, n_code + 1)], f"cells not run in order: {prompts}"
    outputs = page.eval_on_selector_all(".jp-Notebook .jp-OutputArea-output", "els => els.map(e => e.textContent)")
    assert sum(1 for o in outputs if o.strip()) > 5, "the executed notebook shows almost no output"
    figures = page.locator(".jp-Notebook .jp-OutputArea-output img")
    assert figures.count() >= 6, f"expected the chapter's figures, found {figures.count()} images"
    # The set-up and parameters cells are collapsed: their code is not on the page, their caption is.
    hidden = page.locator(".jp-Notebook .jp-Cell.jp-mod-collapsed, .jp-Notebook .jp-InputPlaceholder")
    assert hidden.count() >= 2, "the set-up and parameters cells should be collapsed"
    assert "google.colab" not in page.locator(".jp-Notebook").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "01_energy_lab_top.png"))

    # The widget rendered: its title, a letter menu, a slider and a figure in its output.
    widget = page.locator(".jp-Notebook .course-widget").first
    widget.scroll_into_view_if_needed()
    expect(widget).to_be_visible()
    page.screenshot(path=str(SHOTS / "01_energy_lab.png"))
    expect(widget).to_contain_text("Damage a stored letter")
    expect(widget.locator("select:not([multiple])")).to_have_value("A")  # the letter to damage
    readout = widget.locator(".widget-readout").first
    expect(readout).to_have_text("6")
    image = widget.locator(".jp-OutputArea-output img").first
    expect(image).to_be_visible()
    src_before = image.get_attribute("src")
    assert src_before and src_before.startswith("data:image/png")
    widget.screenshot(path=str(SHOTS / "01_energy_widget_before.png"))

    # Move the slider past the ridge (d = 6 -> 16): the kernel redraws and the figure changes.
    handle = widget.locator(".noUi-handle").first
    handle.focus()
    for _ in range(10):
        handle.press("ArrowRight")
    expect(readout).to_have_text("16")
    expect(image).not_to_have_attribute("src", src_before, timeout=30_000)
    src_after = _settled(page, image, lab)
    assert src_after and src_after.startswith("data:image/png") and src_after != src_before
    widget.screenshot(path=str(SHOTS / "01_energy_widget_after.png"))
    page.close()
    net.assert_nothing_left_the_machine()
    assert NOTEBOOK.read_bytes() == before, "the browser session must not change the repository's notebook"
    for name in ("01_energy_lab.png", "01_energy_widget_before.png", "01_energy_widget_after.png"):
        assert (SHOTS / name).stat().st_size > 5_000, f"screenshot {name} is empty"


def _cell_index(path: Path, cell_id: str) -> int:
    return next(i for i, c in enumerate(read_notebook(path).cells) if c.get("id") == cell_id)


def _type_into_cell(page, cell, text: str) -> None:
    """Replace a code cell's text the way a learner does: click in it, select all, type (pasted as one input)."""
    from playwright.sync_api import expect

    editor = cell.locator(".cm-content").first
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    expect(editor).to_contain_text(text.splitlines()[-1].strip())


def _output_text(cell, timeout: float = 60) -> str:
    """The text of a cell's outputs once it has some (after a run)."""
    out = cell.locator(".jp-OutputArea-output")
    out.first.wait_for(state="visible", timeout=timeout * 1000)
    return "\n".join(out.all_inner_texts())


def test_a_learner_fails_then_passes_a_check_in_jupyterlab(lab, offline):
    """Assignment 01: a wrong answer and its compact feedback, then the right answer and the pass line."""
    from playwright.sync_api import expect

    context, net = offline
    before = ASSIGNMENT.read_bytes()
    page = context.new_page()
    _open_notebook(page, lab, ASSIGNMENT)
    cells = page.locator(".jp-Notebook .jp-Cell")
    answer = cells.nth(_cell_index(ASSIGNMENT, "energy-answer"))
    check = cells.nth(_cell_index(ASSIGNMENT, "energy-check"))
    expect(answer).to_contain_text("NotImplementedError")

    # A plausible wrong answer (the factor 1/2 forgotten); Run All runs the set-up, the answer and the check,
    # and stops at the failed check.
    _type_into_cell(page, answer, WRONG_ENERGY)
    _run_all(page)
    failed = _output_text(check)
    lab.wait_until_idle()
    _no_news_toast(page)
    check.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "01_assignment_failed_check.png"))
    # The compact feedback: '<exercise>: k/n hidden cases passed', then one line per failed case.
    summary = re.search(r"energy: (\d+)/(\d+) hidden cases passed", failed)
    assert summary, f"no 'energy: k/n hidden cases passed' line in the feedback:\n{failed}"
    k, n = int(summary.group(1)), int(summary.group(2))
    assert 0 <= k < n, failed
    assert "1/2" in failed or "factor" in failed, f"the feedback should point at the missing factor:\n{failed}"
    assert not [line for line in failed.splitlines() if line.startswith("[pass]")], failed

    # The right answer: run it (Shift+Enter) and its check (Shift+Enter again): one pass line.
    _type_into_cell(page, answer, RIGHT_ENERGY)
    page.keyboard.press("Shift+Enter")
    expect(check).to_have_class(re.compile(r"jp-mod-selected"))
    page.keyboard.press("Shift+Enter")
    expect(check.locator(".jp-OutputArea-output").first).to_contain_text("[pass]", timeout=60_000)
    lab.wait_until_idle()
    passed = _output_text(check)
    pass_lines = [line for line in passed.splitlines() if line.strip()]
    assert len(pass_lines) == 1 and pass_lines[0].startswith("[pass]") and "energy" in pass_lines[0], passed
    check.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "01_assignment_passed_check.png"))
    page.close()
    net.assert_nothing_left_the_machine()
    assert ASSIGNMENT.read_bytes() == before, "the browser session must not change the repository's notebook"


# --- the course site ----------------------------------------------------------------------------------------

@dataclass
class Site:
    base: str
    pages: list[str]  # page paths in course order, e.g. "notebooks/01_energy.html"
    seconds: float


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def course_site(tmp_path_factory) -> Iterator[Site]:
    """A FAST site, built once: chapter 01's lecture executed by the runner, the other pages from their sources."""
    from course_tools.run import run_course
    from course_tools.site import build_site

    _chromium_or_skip()
    base = tmp_path_factory.mktemp("site")
    start = time.monotonic()
    ran = run_course(fast=True, out_dir=base / "build", notebooks=[NOTEBOOK], html=False)
    assert ran[0].ok, ran[0].error
    result = build_site(out_dir=base / "site", root=ROOT, executed_dir=base / "build" / "executed",
                        timings_path=base / "build" / "timings.json")
    seconds = time.monotonic() - start
    handler = functools.partial(_QuietHandler, directory=str(base / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", [f"{p.docname}.html" for p in result.pages],
                   seconds)
    finally:
        server.shutdown()
        server.server_close()


VISIBLE_PROSE = """() => {
    const article = document.querySelector("article.bd-article") || document.body;
    const copy = article.cloneNode(true);
    copy.querySelectorAll("pre, code, .cell_input, .cell_output, mjx-container, script, style")
        .forEach(e => e.remove());
    return copy.textContent;
}"""


def _math_rendered(page) -> int:
    """Wait for MathJax to finish this page; return how many formulas it typeset. Fails on raw TeX left in prose."""
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
    page.evaluate("() => MathJax.startup.promise.then(() => true)")
    prose = page.evaluate(VISIBLE_PROSE)
    raw = re.findall(r".{0,40}(?:\$|\\\(|\\\[).{0,40}", prose)
    assert not raw, f"{page.url}: raw TeX in the text: {raw[:3]}"
    return page.locator("mjx-container").count()


def _here(page, site: Site) -> str:
    return page.url.removeprefix(site.base + "/").split("#")[0].split("?")[0]


def test_the_site_reads_offline_in_course_order_with_math_and_no_solutions(course_site, offline):
    from playwright.sync_api import expect

    context, net = offline
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    page.goto(f"{course_site.base}/index.html")
    net.prove_blocked(page)
    assert _math_rendered(page) > 0, "the course map's math is typeset"
    expect(page.locator("h1").first).to_contain_text("From Hopfield networks to attention")
    minutes = [re.search(r"Time: about (\d+) minutes", (ROOT / part / "01_energy.ipynb").read_text()).group(1)
               for part in ("notebooks", "solutions")]  # the course map's estimate for chapter 01
    expect(page.locator("table").first).to_contain_text(f"{minutes[0]} + {minutes[1]} min")
    page.screenshot(path=str(SHOTS / "site_index.png"))
    sidebar = page.locator(".bd-sidebar-primary a.reference.internal")
    hrefs = [h.split("#")[0] for h in sidebar.evaluate_all("els => els.map(e => e.getAttribute('href'))")]
    assert [h for h in hrefs if h and h != "#" and not h.startswith("index")] == course_site.pages, "sidebar order"

    # Next, next, ...: every page in course order, each with typeset math, none a solution.
    visited, previous = [], []
    while page.locator("a.right-next").count():
        page.locator("a.right-next").first.click()
        page.wait_for_load_state("domcontentloaded")
        here = _here(page, course_site)
        visited.append(here)
        prev_url = page.locator("a.left-prev").first.evaluate("a => a.href")
        previous.append(prev_url.removeprefix(course_site.base + "/").split("#")[0])
        assert _math_rendered(page) > 0, f"{here}: no typeset math"
        text = page.locator("article.bd-article").inner_text()
        assert not here.startswith("solutions/") and "BEGIN SOLUTION" not in text, f"{here} is a solution"
        expect(page.locator("title")).not_to_have_text("Notebook")
        assert page.title().startswith(here.split("/")[1][:2]), f"{here}: title {page.title()!r} is not its heading"
        if here.startswith("exercises/"):
            assert "YOUR CODE HERE" in text and "NotImplementedError" in text, f"{here} is not the blank assignment"
            assert "google.colab" not in text and "FAST = None" not in text, f"{here} shows a set-up cell"
        launch = page.locator(".dropdown-launch-buttons a").evaluate_all("els => els.map(e => e.href)")
        ipynb = here.replace(".html", ".ipynb")
        assert any("colab.research.google.com" in u and u.endswith(ipynb) for u in launch), f"{here}: {launch}"
        assert any("mybinder.org" in u and u.endswith(ipynb) for u in launch), f"{here}: {launch}"
        if here == "notebooks/01_energy.html":
            page.locator("h2").nth(1).scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "site_lecture_01.png"))
            still = page.locator(".course-widget-still").first
            expect(still).to_contain_text("Damage a stored letter")
            cell = page.locator(".cell", has=still).first
            expect(cell.locator("img").first).to_be_visible()
            cell.scroll_into_view_if_needed()
            cell.screenshot(path=str(SHOTS / "site_widget_still.png"))
        if here == "exercises/01_energy.html":
            page.screenshot(path=str(SHOTS / "site_assignment_01.png"))
    assert visited == course_site.pages, f"next leads through {visited}"

    # ... and each page's "previous" is the page before it; following it from the last page goes back one.
    assert previous == ["index.html"] + course_site.pages[:-1], f"previous links: {previous}"
    page.locator("a.left-prev").first.click()
    page.wait_for_load_state("domcontentloaded")
    assert _here(page, course_site) == course_site.pages[-2]
    page.close()
    net.assert_nothing_left_the_machine()


def test_the_site_search_finds_storkey(course_site, offline):
    from playwright.sync_api import expect

    context, net = offline
    page = context.new_page()
    page.goto(f"{course_site.base}/index.html")
    page.locator("button.search-button-field >> visible=true").first.click()  # the sidebar's search field
    field_ = page.locator("#pst-search-dialog input[name='q']")
    expect(field_).to_be_visible()
    field_.fill("Storkey")
    field_.press("Enter")
    page.wait_for_url(re.compile(r"search\.html\?q=Storkey"))
    results = page.locator("#search-results ul.search li")
    expect(results.first).to_be_visible(timeout=30_000)
    links = results.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert any("notebooks/02_hebbian" in h for h in links), f"Storkey's rule is in chapter 02: {links}"
    assert not any(h.startswith("solutions/") for h in links)
    page.screenshot(path=str(SHOTS / "site_search_storkey.png"))
    page.close()
    net.assert_nothing_left_the_machine()
