"""The dependency direction is a check that fails (docs/architecture.md, design.md §11): an app imports only
the layers below it, as the import-linter contract in pyproject.toml lists them."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[4]


def layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    return contract["layers"]


def test_summit_keeps_its_layers(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_an_upward_import_breaks_the_contract(tmp_path, monkeypatch, capsys):
    """The same layers, on a copy of the package tree where core imports the program: the check fails."""
    # A layer may hold siblings ("summit.live | summit.entry"), which must not import each other either.
    levels = [[part.strip().split(".", 1)[1] for part in layer.split("|")] for layer in layers()]
    names = [name for level in levels for name in level]
    package = tmp_path / "probe"
    for name in names:
        (package / name).mkdir(parents=True)
        (package / name / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "registration" / "services.py").write_text("import probe.core\n")  # downward: fine
    (package / "core" / "testing.py").write_text("import probe.program.models\n")  # upward: refused
    (package / "program" / "models.py").write_text("")
    layer_list = ", ".join('"' + " | ".join(f"probe.{name}" for name in level) + '"' for level in levels)
    config = tmp_path / "probe.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "probe"\n\n[[tool.importlinter.contracts]]\n'
        f'name = "layers"\ntype = "layers"\nlayers = [{layer_list}]\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))

    assert lint_imports(config_filename=str(config), no_cache=True) == 1
    out = capsys.readouterr().out
    assert "probe.core is not allowed to import probe.program" in out
    assert "probe.core.testing -> probe.program.models" in out
    sys.modules.pop("probe", None)
