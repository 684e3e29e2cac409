"""Binder's configuration installs the course's own pinned environment, with CPU wheels of torch."""

import os
import re

from conftest import ROOT

BINDER = ROOT / "binder"


def test_binder_requirements_point_at_the_pinned_environment_with_cpu_torch():
    lines = [ln.strip() for ln in (BINDER / "requirements.txt").read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    nested = [ln.split(maxsplit=1)[1] for ln in lines if ln.startswith("-r ")]
    assert nested == ["../requirements.txt"] and (BINDER / nested[0]).resolve() == ROOT / "requirements.txt"
    pins = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==\d", pins, re.M), "torch must be pinned with == so the +cpu wheel matches it"


def test_binder_python_and_postbuild():
    python = (BINDER / "runtime.txt").read_text().strip()
    requires = re.search(r'requires-python = ">=(\d+\.\d+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert python == f"python-{requires}"
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK) and "pip install --no-cache-dir --no-deps -e ." in post.read_text()
