import numpy as np
import pytest
import torch

from course_lib.utils import fast_mode, get_device, seed_everything


def test_seed_everything_makes_numpy_and_torch_repeat():
    rng = seed_everything(3)
    a, t = rng.random(4), torch.rand(3)
    rng = seed_everything(3)
    assert np.array_equal(a, rng.random(4))
    assert torch.equal(t, torch.rand(3))


@pytest.mark.parametrize("bad", [-1, 1.5, "1"])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)


def test_get_device_honours_course_device(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device().type == "cpu"
    monkeypatch.delenv("COURSE_DEVICE")
    assert get_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_get_device_refuses_unknown_or_missing(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "not-a-device")
    with pytest.raises(ValueError, match="COURSE_DEVICE"):
        get_device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("COURSE_DEVICE", "cuda")
        with pytest.raises(ValueError, match="no CUDA"):
            get_device()


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("0", False), ("off", False)])
def test_fast_mode_reads_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("COURSE_FAST", raw)
    assert fast_mode() is expected


def test_fast_mode_explicit_value_wins_and_default_is_full(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert fast_mode(False) is False
    monkeypatch.delenv("COURSE_FAST")
    assert fast_mode() is False


def test_fast_mode_rejects_garbage(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="COURSE_FAST"):
        fast_mode()
