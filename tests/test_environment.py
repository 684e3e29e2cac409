"""requirements.txt (pip) and environment.yml (conda) name the same packages at the same versions."""

import re

from conftest import ROOT

CONDA_NAMES = {"pytorch": "torch"}


def pip_pins():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned with =="
            pins[name.lower()] = version
    return pins


def conda_pins():
    pins, in_deps = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        line = line.split("#")[0].rstrip()
        m = re.match(r"\s+-\s+([A-Za-z0-9_.-]+)==?([^=\s]+)$", line)  # conda's name=1.0, pip's name==1.0
        if in_deps and m:
            pins[CONDA_NAMES.get(m.group(1).lower(), m.group(1).lower())] = m.group(2)
    pins.pop("python", None)
    return pins


def test_pip_and_conda_agree():
    pip, conda = pip_pins(), conda_pins()
    assert set(pip) == set(conda), f"only in pip: {set(pip) - set(conda)}, only in conda: {set(conda) - set(pip)}"
    assert pip == conda


def test_torch_pins_are_the_machine_cap():
    pins = pip_pins()
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
