"""The shared layer build: contents, caching, and (slow) a real pip build of Linux wheels."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dce.api.routes import AREAS
from infra import layer
from infra.paths import FUNCTIONS_DIR, SHARED_PYTHON_DIR

pytestmark = pytest.mark.infra

DCE_SOURCES = SHARED_PYTHON_DIR / "dce"


def test_runtime_dependencies_come_pinned_from_pyproject() -> None:
    dependencies = layer.runtime_dependencies()
    names = {d.split("==")[0].lower() for d in dependencies}
    assert {"pydantic", "pyjwt", "phonenumbers", "argon2-cffi", "aws-lambda-powertools"} <= names
    assert all("==" in d for d in dependencies), "the layer must be reproducible: pin every dependency"


def test_source_layer_holds_only_the_dce_package(tmp_path: Path) -> None:
    directory, _ = layer.build_layer("source", build_dir=tmp_path)
    python = directory / "python"
    assert sorted(p.name for p in python.iterdir()) == ["dce"]
    assert (python / "dce" / "api" / "routes.py").is_file()
    assert not list(python.rglob("__pycache__"))


def test_a_built_layer_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, fingerprint = layer.build_layer("source", build_dir=tmp_path)

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached layer should have been reused")

    monkeypatch.setattr(shutil, "copytree", no_rebuild)  # what a rebuild would call
    assert layer.build_layer("source", build_dir=tmp_path) == (first, fingerprint)


def _edit(package: Path) -> None:
    (package / "config.py").write_text((package / "config.py").read_text() + "\n# changed\n")


def _age(build: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(build, (then, then))


def test_changing_a_source_file_builds_a_new_layer_and_drops_the_old(tmp_path: Path) -> None:
    package = tmp_path / "src" / "dce"
    shutil.copytree(DCE_SOURCES, package, ignore=shutil.ignore_patterns("__pycache__"))
    builds = tmp_path / "builds"
    old, old_fingerprint = layer.build_layer("source", build_dir=builds, package_dir=package)
    _age(old, layer.STALE_AFTER_SECONDS + 60)
    _edit(package)
    new, new_fingerprint = layer.build_layer("source", build_dir=builds, package_dir=package)
    assert new_fingerprint != old_fingerprint
    assert new.is_dir()
    assert not old.exists()
    assert [p.name for p in builds.iterdir()] == [new.name]  # nothing left behind, hidden or not


def test_a_build_another_synth_may_be_using_is_not_pruned(tmp_path: Path) -> None:
    """pytest -n 2, or `cdk watch` beside a test run: a concurrent edit of dce must not delete the layer
    directory the other synth is copying."""
    package = tmp_path / "src" / "dce"
    shutil.copytree(DCE_SOURCES, package, ignore=shutil.ignore_patterns("__pycache__"))
    builds = tmp_path / "builds"
    in_use, _ = layer.build_layer("source", build_dir=builds, package_dir=package)
    _edit(package)
    newer, _ = layer.build_layer("source", build_dir=builds, package_dir=package)
    assert (in_use / "python" / "dce" / "config.py").is_file()
    assert newer.is_dir()


def test_reusing_a_build_keeps_it_from_being_pruned(tmp_path: Path) -> None:
    package = tmp_path / "src" / "dce"
    shutil.copytree(DCE_SOURCES, package, ignore=shutil.ignore_patterns("__pycache__"))
    builds = tmp_path / "builds"
    build, _ = layer.build_layer("source", build_dir=builds, package_dir=package)
    _age(build, layer.STALE_AFTER_SECONDS + 60)
    assert layer.build_layer("source", build_dir=builds, package_dir=package)[0] == build
    assert build.stat().st_mtime > time.time() - 60


def test_dependency_pins_are_part_of_the_fingerprint() -> None:
    base = layer.layer_fingerprint("full", ["pydantic==2.14.4"], DCE_SOURCES)
    assert layer.layer_fingerprint("full", ["pydantic==2.14.5"], DCE_SOURCES) != base
    assert layer.layer_fingerprint("source", [], DCE_SOURCES) != base


@pytest.mark.slow
def test_real_layer_has_linux_wheels_for_python_312(tmp_path: Path) -> None:
    directory, _ = layer.build_layer("full", build_dir=tmp_path)
    python = directory / "python"
    for package in ("dce", "pydantic_core", "jwt", "phonenumbers", "argon2", "aws_lambda_powertools"):
        assert (python / package).is_dir(), f"{package} missing from the layer"

    extensions = [so.name for so in (python / "pydantic_core").glob("*.so")]
    assert extensions, "pydantic_core needs its compiled extension"
    assert all(name.endswith(".cpython-312-x86_64-linux-gnu.so") for name in extensions), extensions
    (wheel_info,) = python.glob("pydantic_core-*.dist-info")
    tags = (wheel_info / "WHEEL").read_text()
    assert "cp312-cp312-manylinux" in tags and "x86_64" in tags

    assert not (python / "bin").exists()
    _every_module_is_compiled_for_lambda(python)
    size = sum(f.stat().st_size for f in python.rglob("*") if f.is_file())
    assert size < 200 * 1024 * 1024, "Lambda allows 250 MB unzipped for functions and layers together"

    _imports_on_python_312_from_the_layer_alone(python)


def _every_module_is_compiled_for_lambda(python: Path) -> None:
    """Lambda's /opt is read-only: a module without a usable .pyc is compiled again on every cold start.
    Each needs an unchecked-hash .pyc of CPython 3.12 (header flags 0b01: hash-based, source not checked)."""
    sources = [path for path in python.rglob("*.py") if "__pycache__" not in path.parts]
    assert len(sources) > 1000
    missing, checked = [], []
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
        if not compiled.is_file():
            missing.append(source)
        elif int.from_bytes(compiled.read_bytes()[4:8], "little") != 0b01:
            checked.append(compiled)
    assert not missing, missing[:5]
    assert not checked, checked[:5]
    code = (python / "dce" / "__pycache__" / "bootstrap.cpython-312.pyc").read_bytes()
    assert b"/opt/python/dce/bootstrap.py" in code  # tracebacks name where Lambda mounts the layer


# Run in a fresh interpreter that sees only the standard library and the layer (-I: no user site or
# PYTHON* variables, -S: no site-packages), the way Lambda's python3.12 runtime sees it.
_IMPORT_CHECK = """
import importlib, importlib.util, json, sys, zoneinfo
layer, functions, handlers = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [layer]
assert sys.version_info[:2] == (3, 12), sys.version
for name in ("pydantic_core._pydantic_core", "argon2", "jwt", "phonenumbers", "boto3", "aws_xray_sdk",
             "aws_lambda_powertools.metrics", "aws_lambda_powertools.tracing", "dce.api.routes", "dce.bootstrap"):
    importlib.import_module(name)
from argon2 import PasswordHasher
PasswordHasher(time_cost=1, memory_cost=1024).hash("compiled-extension-works")
assert zoneinfo.ZoneInfo("America/New_York").key == "America/New_York"
import tzdata
for folder, module in handlers:
    spec = importlib.util.spec_from_file_location(f"{folder}_{module}", f"{functions}/{folder}/{module}.py")
    loaded = importlib.util.module_from_spec(spec)
    sys.path.insert(0, f"{functions}/{folder}")
    spec.loader.exec_module(loaded)
    sys.path.pop(0)
    assert callable(loaded.lambda_handler), (folder, module)
print("ok")
"""


def _imports_on_python_312_from_the_layer_alone(python: Path) -> None:
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        pytest.fail("the import check needs Linux x86_64, the platform of the layer's wheels")
    handlers = json.dumps(sorted({(area.code_folder, area.module) for area in AREAS}))
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-I", "-S", "-c", _IMPORT_CHECK, str(python), str(FUNCTIONS_DIR), handlers],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
