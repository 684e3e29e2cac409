"""The README tells the truth about the code: its architecture table lists every module's public API."""

import importlib
import pkgutil
import re

from conftest import ROOT

import course_lib

README = (ROOT / "README.md").read_text(encoding="utf-8")
TABLE = README[README.index("## Architecture"):README.index("## Data")]


def _row(module: str) -> str:
    match = re.search(rf"^\| `{module}` \|.*$", TABLE, flags=re.M)
    assert match, f"the README's architecture table has no row for course_lib.{module}"
    return match.group(0)


def test_every_module_of_course_lib_has_a_row_listing_its_whole_public_api():
    for info in pkgutil.iter_modules(course_lib.__path__):
        if info.ispkg:
            continue
        module = importlib.import_module(f"course_lib.{info.name}")
        assert hasattr(module, "__all__"), f"course_lib.{info.name} has no __all__"
        row = _row(info.name)
        missing = [name for name in module.__all__ if f"`{name}`" not in row]
        assert not missing, f"README row of course_lib.{info.name} misses {missing}"


def test_every_widget_module_has_all_and_one_explorer_listed():
    import course_lib.widgets as widgets

    row = _row("widgets")
    for info in pkgutil.iter_modules(widgets.__path__):
        module = importlib.import_module(f"course_lib.widgets.{info.name}")
        assert hasattr(module, "__all__"), f"course_lib.widgets.{info.name} has no __all__"
        explorers = [n for n in module.__all__ if n.endswith("_explorer")]
        assert len(explorers) == 1, f"widgets.{info.name} should have one *_explorer entry point: {module.__all__}"
        assert all(f"`{info.name}.{n}`" in row for n in module.__all__)


def test_the_readme_names_no_module_that_is_gone():
    for name in re.findall(r"`([a-z_]+)\.py`", README):
        found = list(ROOT.glob(f"course_lib/**/{name}.py")) + list(ROOT.glob(f"course_tools/**/{name}.py")) \
            + list(ROOT.glob(f"*/{name}.py"))
        assert found, f"the README mentions {name}.py, which does not exist"
