"""Packaging that tells the truth.

requirements.txt (pip, what `make` installs), environment.yml (conda-forge) and pyproject.toml (what the code
imports, with extras) name the same packages; every package pyproject lists is found by setuptools; a wheel
carries the bundled data.
"""

import ast
import os
import re
import sys
import tomllib

from conftest import ROOT

# conda-forge name -> pip name, where they differ
CONDA_NAMES = {"pytorch": "torch", "dask-core": "dask"}
# import name -> distribution name, where they differ
IMPORT_NAMES = {"IPython": "ipython", "matplotlib_inline": "matplotlib-inline", "sklearn": "scikit-learn",
                "zmq": "pyzmq"}
STDLIB = set(sys.stdlib_module_names) | {"conftest", "course_lib", "course_tools", "__future__"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower()


def pip_pins(path=ROOT / "requirements.txt"):
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line!r} is not pinned with =="
            pins[name.lower()] = version
    return pins


def conda_env():
    """(conda-forge pins under pip names, pip-section pins, other pip-section lines) of environment.yml."""
    conda, pip, other, section = {}, {}, [], None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            section = line.split(":")[0]
            continue
        if section != "dependencies":
            continue
        m = re.match(r"^  - ([A-Za-z0-9_.-]+)=([^=\s]+)$", line)
        p = re.match(r"^      - ([A-Za-z0-9_.-]+)==(\S+)$", line)
        if m:
            conda[CONDA_NAMES.get(m.group(1).lower(), m.group(1).lower())] = m.group(2)
        elif p:
            pip[p.group(1).lower()] = p.group(2)
        else:
            other.append(line.strip())
    conda.pop("python", None)
    return conda, pip, other


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_pip_and_conda_agree():
    pip = pip_pins()
    conda, conda_pip, _ = conda_env()
    both = {**conda, **conda_pip}
    assert not set(conda) & set(conda_pip), "a package both from conda-forge and from PyPI"
    assert set(pip) == set(both), f"only in pip: {set(pip) - set(both)}, only in conda: {set(both) - set(pip)}"
    assert pip == both


def test_conda_env_is_written_for_conda_forge_and_installs_the_course():
    conda, conda_pip, other = conda_env()
    text = (ROOT / "environment.yml").read_text()
    assert "  - conda-forge" in text and "defaults" not in text
    assert "dask" not in conda or "  - dask-core=" in text, "pip's dask is conda-forge's dask-core"
    assert "  - torch=" not in text, "conda-forge calls torch pytorch"
    assert "playwright" in conda_pip, "playwright is not on conda-forge: it comes from PyPI"
    assert other == ["- pip", "- pip:", "- -e ."], other


def test_pyproject_declares_what_requirements_pin():
    meta = pyproject()["project"]
    declared = {_name(r) for r in meta["dependencies"]}
    extras = {name: {_name(r) for r in reqs} for name, reqs in meta["optional-dependencies"].items()}
    everything = declared.union(*extras.values())
    assert everything == set(pip_pins()), (everything ^ set(pip_pins()))
    assert {"dask", "distributed"} <= extras["grading"] and not {"dask", "distributed"} & declared
    assert extras["browser"] == {"playwright"} and "playwright" not in declared
    for needed in ("ipykernel", "ipywidgets", "ipython", "matplotlib-inline", "tqdm", "nbformat", "nbclient",
                   "nbconvert", "papermill", "torchvision"):
        assert needed in declared, needed


def _imports(folder):
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {IMPORT_NAMES.get(n, n).lower() for n in found - STDLIB}


def test_the_packages_import_only_what_pyproject_declares():
    meta = pyproject()["project"]
    declared = {_name(r) for r in meta["dependencies"]}
    optional = {_name(r) for reqs in meta["optional-dependencies"].values() for r in reqs}
    assert _imports("course_lib") <= declared, _imports("course_lib") - declared
    assert _imports("course_tools") <= declared | optional, _imports("course_tools") - declared - optional
    assert "torchvision" in _imports("course_lib"), "torchvision is pinned: the course uses it"


def test_every_package_folder_is_listed_for_setuptools():
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for top in ("course_lib", "course_tools")
               for p in (ROOT / top).rglob("__init__.py")}
    assert listed == folders | {"course_lib.data"}, listed ^ (folders | {"course_lib.data"})
    tool = pyproject()["tool"]["setuptools"]
    assert tool["package-dir"] == {"course_lib.data": "data"}
    for pattern in tool["package-data"]["course_lib.data"]:
        assert list((ROOT / "data").glob(pattern)), f"package-data {pattern!r} matches nothing in data/"


def test_torch_pins_are_the_machine_cap():
    pins = pip_pins()
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"


def test_a_wheel_carries_both_packages_and_the_bundled_data(tmp_path):
    """What a non-editable `pip install .` would install (built offline from a copy of the sources)."""
    import shutil
    import subprocess
    import zipfile

    src = tmp_path / "src"
    for name in ("course_lib", "course_tools", "data"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                           "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for mnist in (ROOT / "data" / "mnist").iterdir():
        assert f"course_lib/data/mnist/{mnist.name}" in names
    for package in pyproject()["tool"]["setuptools"]["packages"]:
        assert f"{package.replace('.', '/')}/__init__.py" in names or package == "course_lib.data"
    assert "course_lib/learner.py" in names and "course_tools/cli.py" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "course = course_tools.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
    # installed (no editable link, nothing of the checkout on the path), course_lib reads the data it carries
    import site

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                           str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    probe = ("import sys; sys.path.extend(sys.argv[1:]); from course_lib import datasets; "
             "print(datasets.__file__); print(datasets.data_dir()); print(datasets.load_mnist()[0].shape)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_DATA")}
    proc = subprocess.run([str(py), "-c", probe, *site.getsitepackages()], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    module, data, shape = proc.stdout.split("\n")[:3]
    assert module.startswith(str(venv)) and data.startswith(str(venv)) and data.endswith("course_lib/data")
    assert shape == "(10000, 28, 28)"
