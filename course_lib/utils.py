"""Reproducibility, device choice and the fast-mode switch."""

from __future__ import annotations

import os
import random

import numpy as np

__all__ = ["seed_everything", "get_device", "fast_mode"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch (if importable); return a fresh NumPy Generator."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
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

    ``name`` (a string or a torch.device) wins, then the ``COURSE_DEVICE`` environment variable,
    then CUDA when a GPU is present, else the CPU. An unknown or unavailable device raises
    ValueError; every course function that takes ``device`` checks it here, so the message is
    the same everywhere.
    """
    import torch

    from_env = name is None or (isinstance(name, str) and not name.strip())
    choice = os.environ.get("COURSE_DEVICE", "").strip() if from_env else name
    if isinstance(choice, str) and not choice:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    where = f"COURSE_DEVICE={choice!r}" if from_env else f"device {str(choice)!r}"
    try:
        device = torch.device(choice)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"{where} is not a torch device name ({err})") from None
    if device.type == "cuda" and (not torch.cuda.is_available()
                                  or (device.index is not None and device.index >= torch.cuda.device_count())):
        which = "no CUDA GPU" if not torch.cuda.is_available() else f"no CUDA GPU number {device.index}"
        raise ValueError(f"{where} was asked for, but {which} is available here "
                         "(use 'cpu', or leave the device out to use a GPU when there is one)")
    if device.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"{where} was asked for, but Apple's MPS backend is not available here")
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
