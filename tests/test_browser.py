"""A real browser on a real JupyterLab: chapter 01 runs top to bottom and its widget responds to a control.

Starts JupyterLab from the course's environment on a free localhost port with a token, serving a copy
of notebooks/01_energy.ipynb (so nothing a browser does can save outputs into the repository), drives
Debian's Chromium (/usr/bin/chromium, installed by scripts/install-browser.sh, which `make test` runs)
through Playwright for Python, runs all cells, and saves screenshots under build/screenshots/.
Skips only where no Chromium can be had: missing, and the install script cannot install it here.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "01_energy.ipynb"
SHOTS = ROOT / "build" / "screenshots"
INSTALL = ROOT / "scripts" / "install-browser.sh"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
# Root needs --no-sandbox; on a closed network Chromium must not try its background connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_S = 45  # generous: two busy cores
RUN_ALL_S = 75
ERROR_RE = re.compile(r"Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b.*:", re.M)


def _chromium_or_skip() -> Path:
    """The Chromium binary. When it is missing, run scripts/install-browser.sh (what `make test` runs first);
    skip, with the script's reason, only when that cannot install it (not root, no apt-get, apt-get failing)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        done = subprocess.run(["sh", str(INSTALL)], capture_output=True, text=True, timeout=600)
        if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
            why = (done.stderr or done.stdout).strip().splitlines()[-3:]
            pytest.skip(f"no browser can be had: {CHROMIUM} is missing and {INSTALL.name} could not install it "
                        f"(exit {done.returncode}: {' / '.join(why)})")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_lab_settings(settings: Path) -> None:
    """User settings for this throw-away server: every cell in the page, no autosave, no news or update pop-ups."""
    files = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": '{"autosave": false}',
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            '{"fetchNews": "false", "checkForUpdates": false}',
    }
    for name, text in files.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(text, encoding="utf-8")


@dataclass
class Lab:
    base: str
    token: str

    def api(self, path: str):
        """GET a JSON resource of the server's REST API."""
        with urllib.request.urlopen(f"{self.base}/api/{path}?token={self.token}", timeout=5) as r:
            return json.loads(r.read())

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


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab serving a copy of the course's notebooks/01_energy.ipynb."""
    _chromium_or_skip()
    base = tmp_path_factory.mktemp("lab")
    root = base / "course"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(NOTEBOOK, root / "notebooks" / NOTEBOOK.name)
    _write_lab_settings(base / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel must use the inline backend
    env.update(COURSE_FAST="1", JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               JUPYTER_DATA_DIR=str(base / "data"),
               JUPYTERLAB_SETTINGS_DIR=str(base / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"))
    log = (base / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=", "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
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
        yield Lab(f"http://127.0.0.1:{port}", token)
    finally:
        server.terminate()  # on SIGTERM the server shuts its kernels down, then exits
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # this server's own process group, started above
            server.wait(timeout=10)
        log.close()


def _prompts(page) -> list[str]:
    return page.eval_on_selector_all(".jp-Notebook .jp-CodeCell .jp-InputPrompt",
                                     "els => els.map(e => e.textContent.trim())")


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


def test_chapter_01_runs_in_jupyterlab_and_its_widget_responds(lab):
    from playwright.sync_api import expect, sync_playwright

    before = NOTEBOOK.read_bytes()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(_chromium_or_skip()), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{lab.base}/lab/tree/notebooks/{NOTEBOOK.name}?token={lab.token}",
                      wait_until="domcontentloaded", timeout=60_000)

            # The notebook is open and its kernel has started, is idle and is connected to the page.
            expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible(timeout=60_000)
            lab.wait_for_connected_idle_kernel(timeout=60)
            indicator = page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator").first
            expect(indicator).to_have_attribute("data-status", "idle", timeout=60_000)
            n_code = sum(c["cell_type"] == "code" for c in json.loads(before)["cells"])
            expect(page.locator(".jp-Notebook .jp-CodeCell")).to_have_count(n_code)

            # Run > Run All Cells, then wait until every code cell has an execution count and the kernel is idle.
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
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

            # No cell shows an error. JupyterLab renders an error as stderr text with its traceback; a
            # "ValueError" the lecture prints on stdout on purpose is fine, and so is a warning.
            stderr = page.eval_on_selector_all(
                '.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
                "els => els.map(e => e.textContent)")
            errors = [o[:800] for o in stderr if ERROR_RE.search(o)]
            assert not errors, f"cells show errors: {errors}"
            # Every code cell ran, once, in order (Run All stops at the first error).
            assert prompts == [f"[{i}]:" for i in range(1, n_code + 1)], f"cells not run in order: {prompts}"
            outputs = page.eval_on_selector_all(".jp-Notebook .jp-OutputArea-output",
                                                "els => els.map(e => e.textContent)")
            assert sum(1 for o in outputs if o.strip()) > 5, "the executed notebook shows almost no output"
            figures = page.locator(".jp-Notebook .jp-OutputArea-output img")
            assert figures.count() >= 6, f"expected the chapter's figures, found {figures.count()} images"

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
        finally:
            browser.close()
    assert NOTEBOOK.read_bytes() == before, "the browser session must not change the repository's notebook"
    for name in ("01_energy_lab.png", "01_energy_widget_before.png", "01_energy_widget_after.png"):
        assert (SHOTS / name).stat().st_size > 5_000, f"screenshot {name} is empty"
