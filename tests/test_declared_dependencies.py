"""What the project declares it needs is what its code imports.

``pyproject.toml`` lists the distributions that the package ``sar2ndvi`` imports, no more, no fewer;
``requirements.txt`` pins each of them; a conda environment under ``envs/`` lists only what the code
its rules run (the package and ``workflow/scripts``) imports, never a library only the tests or the
benchmarks use.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

# imported under another name than the distribution's, where the installed metadata cannot tell
DISTRIBUTION_OF_MODULE = {
    "ee": "earthengine-api",
    "yaml": "PyYAML",
    "skimage": "scikit-image",
    "sklearn": "scikit-learn",
}
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"pytorch": "torch", "pyyaml": "PyYAML"}
# what an environment needs besides the imports: the interpreter and its installer
ENVIRONMENT_TOOLS = {"python", "pip"}
# needed at run time though never imported by name
RUNTIME_ONLY = {"pyarrow": "geopandas.read_parquet reads GeoParquet farm polygons with it"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party_imports(folder: Path) -> set[str]:
    """Top-level modules imported anywhere under ``folder`` that are neither the standard library nor ours."""
    modules = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m not in {"sar2ndvi", "__future__"}}


def distributions(modules: set[str]) -> set[str]:
    installed = packages_distributions()
    out = set()
    for module in modules:
        if module in DISTRIBUTION_OF_MODULE:
            out.add(canonical(DISTRIBUTION_OF_MODULE[module]))
        elif module in installed:
            out.add(canonical(installed[module][0]))
        else:
            pytest.fail(f"{module!r} is imported but no installed distribution provides it")
    return out


def requirement_name(line: str) -> str:
    return canonical(re.split(r"[<>=!~;\[ ]", line.strip(), maxsplit=1)[0])


@pytest.fixture(scope="module")
def declared(repo) -> set[str]:
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    return {requirement_name(r) for r in project["dependencies"]}


@pytest.fixture(scope="module")
def pinned(repo) -> dict[str, str]:
    lines = (repo / "requirements.txt").read_text().splitlines()
    return {requirement_name(line): line.split("==")[1] for line in lines if "==" in line}


def test_the_package_declares_exactly_what_it_imports(repo, declared):
    imported = distributions(third_party_imports(repo / "src" / "sar2ndvi"))
    assert sorted(imported - declared) == [], "imported by sar2ndvi but missing from pyproject.toml"
    unused = declared - imported - set(RUNTIME_ONLY)
    assert sorted(unused) == [], "declared in pyproject.toml but imported nowhere in sar2ndvi"


def test_requirements_pin_every_declared_dependency(declared, pinned):
    assert sorted(declared - set(pinned)) == []


def test_workflow_scripts_import_only_declared_libraries(repo, declared):
    scripts = distributions(third_party_imports(repo / "workflow" / "scripts"))
    assert sorted(scripts - declared - {"snakemake"}) == []


@pytest.mark.parametrize("environment", sorted(Path(__file__).parents[1].joinpath("envs").glob("*.yaml")), ids=str)
def test_conda_environments_hold_only_what_the_workflow_code_imports(repo, declared, environment):
    spec = yaml.safe_load(environment.read_text())
    names = set()
    for entry in spec["dependencies"]:
        for item in entry["pip"] if isinstance(entry, dict) else [entry]:
            name = re.split(r"[<>=! ]", item, maxsplit=1)[0]
            names.add(canonical(CONDA_TO_PYPI.get(name, name)))
    extra = names - declared - {canonical(t) for t in ENVIRONMENT_TOOLS} - {"snakemake"}
    assert sorted(extra) == [], f"{environment.name} installs libraries the workflow's code never imports"
