"""Reproducibility, device choice and the fast-mode switch."""

from __future__ import annotations

import os
import random

import numpy as np

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch (if importable); return a fresh NumPy Generator."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a course dependency
        pass
    else:
        torch.manual_seed(int(seed))
    return np.random.default_rng(int(seed))


def get_device(name: str | None = None):
    """The torch device to run on.

    ``name`` wins, then the ``COURSE_DEVICE`` environment variable, then CUDA when a
    GPU is present, else the CPU. An unknown or unavailable device raises ValueError.
    """
    import torch

    choice = name or os.environ.get("COURSE_DEVICE", "").strip()
    if not choice:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(choice)
    except RuntimeError as err:
        raise ValueError(f"COURSE_DEVICE={choice!r} is not a torch device name ({err})") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {choice!r} was asked for, but no CUDA GPU is available here")
    return device


def fast_mode(value: bool | None = None) -> bool:
    """Whether to run the small, quick version of every experiment.

    An explicit ``value`` (papermill's injected ``FAST``) wins; otherwise the
    ``COURSE_FAST`` environment variable decides (the tests and ``make course`` set it
    to 1); a learner in JupyterLab gets the full course. Unknown values raise ValueError.
    """
    if value is not None:
        if not isinstance(value, (bool, int)):
            raise ValueError(f"FAST must be True, False or None, got {value!r}")
        return bool(value)
    raw = os.environ.get("COURSE_FAST")
    if raw is None:
        return False
    choice = raw.strip().lower()
    if choice in _TRUE:
        return True
    if choice in _FALSE:
        return False
    raise ValueError(f"COURSE_FAST must be 0 or 1, got {raw!r}")
