"""Test-wide settings: headless matplotlib, the course's FAST mode, the project root."""

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("COURSE_FAST", "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def fresh_exercises(tmp_path_factory) -> Path:
    """The exercises built afresh from solutions/ into a temporary folder: tests never read the checkout's
    exercises/, so nothing a learner does there changes what `make test` says."""
    from course_tools.build import build

    out = tmp_path_factory.mktemp("exercises")
    build(ROOT, out_dir=out)
    return out
