"""The shared layer build: contents, caching, and (slow) a real pip build of Linux wheels."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from infra import layer
from infra.paths import SHARED_PYTHON_DIR

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
    assert not list(python.rglob("*.pyc"))
    size = sum(f.stat().st_size for f in python.rglob("*") if f.is_file())
    assert size < 200 * 1024 * 1024, "Lambda allows 250 MB unzipped for functions and layers together"
