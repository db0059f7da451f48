"""The shared Lambda layer, built without Docker: `python/` = Linux wheels of the runtime deps + `dce`.

pip downloads manylinux x86_64 wheels for CPython 3.12 whatever the build machine is, so the layer
matches Lambda's python3.12 runtime (Amazon Linux 2023, glibc 2.34). The built directory is cached
under `.build/layer/<mode>-<hash>`, keyed by everything that goes into it, so repeated synths are free;
making a new build prunes the others of its mode that no synth used for a while (never one in use).

Modes:
- "full": what gets deployed, with every module compiled to `.pyc` (unchecked-hash): Lambda's `/opt`
  is read-only, so without them every cold start would compile the whole layer from source again
  (measured: 0.8-1.3 s of import per function instead of 0.25-0.42 s, `make bench`).
- "source": only the `dce` sources, no pip (fast synth in tests; never deploy it:
  the functions would fail to import their dependencies).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal, get_args

from aws_cdk import AssetHashType
from aws_cdk import aws_lambda as lambda_

from infra.paths import LAYER_BUILD_DIR, PYPROJECT, SHARED_PYTHON_DIR

LayerMode = Literal["full", "source"]
LAYER_MODES: tuple[LayerMode, ...] = get_args(LayerMode)
SOURCE_ONLY_ENV_VAR = "DCE_LAYER_SOURCE_ONLY"

PYTHON_VERSION = "3.12"
# manylinux2014 (glibc 2.17) is the baseline; manylinux_2_28 too, or pip silently falls back to old
# releases of packages that stopped publishing 2014 wheels (argon2-cffi-bindings did). Both run on AL2023.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
PACKAGE = "dce"
# Another synth (a second pytest worker, `cdk watch`, ...) may be using an older build while this one
# builds a newer one (someone edited `dce` in between): only builds unused for this long are pruned.
STALE_AFTER_SECONDS = 15 * 60
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
# Where Lambda mounts the layer's `python/`: the path compiled modules name in tracebacks.
LAMBDA_LAYER_PATH = "/opt/python"
# Changes whenever the way a build is made changes, so cached builds of the old way are rebuilt.
BUILD_FORMAT = "pyc-unchecked-hash/1"


class LayerBuildError(RuntimeError):
    pass


def layer_mode(context_value: object, environ: Mapping[str, str]) -> LayerMode:
    """The mode from `-c layer=...` or, failing that, DCE_LAYER_SOURCE_ONLY=1; "full" by default."""
    if context_value is None:
        return "source" if environ.get(SOURCE_ONLY_ENV_VAR) == "1" else "full"
    for mode in LAYER_MODES:
        if context_value == mode:
            return mode
    raise ValueError(f"Unknown layer mode {context_value!r}: use -c layer=full or -c layer=source")


def runtime_dependencies(pyproject: Path = PYPROJECT) -> list[str]:
    """The `[project] dependencies` of pyproject.toml: exactly what the functions need at runtime."""
    with pyproject.open("rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise LayerBuildError(f"{pyproject}: [project] dependencies must be a list of strings")
    return dependencies


def _source_files(package_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in package_dir.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo")
    )


def layer_fingerprint(mode: LayerMode, dependencies: Iterable[str], package_dir: Path) -> str:
    """A hash of every input of the layer: mode, pip target, dependency pins and the `dce` sources."""
    digest = hashlib.sha256()
    for part in (mode, BUILD_FORMAT, PYTHON_VERSION, *PLATFORMS, *(dependencies if mode == "full" else ())):
        digest.update(part.encode() + b"\0")
    for path in _source_files(package_dir):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _pip_install(dependencies: list[str], target: Path) -> None:
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        # pip's .pyc are timestamp-checked, and CDK zips assets with a fixed 1980 mtime, so they would
        # never match on Lambda: `_compile` writes hash-based ones once everything is in place.
        "--no-compile",
        *platforms,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--target",
        str(target),
        *dependencies,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (our own argv)
    if result.returncode != 0:
        raise LayerBuildError(f"pip could not build the layer:\n{result.stderr[-4000:]}")
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts: useless in a layer


def _compile(python_dir: Path) -> None:
    """Byte-compile every module as Lambda's Python 3.12 will load it: `unchecked-hash` .pyc are used
    without looking at the source's timestamp (the layer never changes once published), and name
    `/opt/python/...` in tracebacks. Only a 3.12 interpreter writes .pyc that 3.12 accepts."""
    if sys.version_info[:2] != tuple(int(part) for part in PYTHON_VERSION.split(".")):
        raise LayerBuildError(f"the layer's .pyc must be compiled by Python {PYTHON_VERSION}, not {sys.version}")
    command = [
        sys.executable,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        "-s",
        str(python_dir),
        "-p",
        LAMBDA_LAYER_PATH,
        str(python_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (our own argv)
    if result.returncode != 0:
        raise LayerBuildError(f"compileall failed:\n{(result.stdout + result.stderr)[-4000:]}")


def build_layer(
    mode: LayerMode,
    *,
    build_dir: Path = LAYER_BUILD_DIR,
    package_dir: Path = SHARED_PYTHON_DIR / PACKAGE,
    pyproject: Path = PYPROJECT,
) -> tuple[Path, str]:
    """The layer directory (containing `python/`) and its fingerprint, building it unless cached."""
    dependencies = runtime_dependencies(pyproject) if mode == "full" else []
    fingerprint = layer_fingerprint(mode, dependencies, package_dir)
    final = build_dir / f"{mode}-{fingerprint[:20]}"
    if (final / "python" / PACKAGE).is_dir() and _mark_used(final):
        return final, fingerprint

    build_dir.mkdir(parents=True, exist_ok=True)
    # Build next to the final place and rename: an interrupted build never looks finished, and two
    # concurrent synths (pytest -n 2) cannot see each other's half-built directory.
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=build_dir))
    try:
        if dependencies:
            _pip_install(dependencies, staging / "python")
        shutil.copytree(package_dir, staging / "python" / PACKAGE, ignore=_IGNORED)
        if mode == "full":
            _compile(staging / "python")
        try:
            staging.rename(final)
        except OSError:
            if not (final / "python" / PACKAGE).is_dir():
                raise  # not a lost race: a real error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune_stale_builds(build_dir, mode, keep=final)
    return final, fingerprint


def _mark_used(build: Path) -> bool:
    """A build's mtime is when a synth last used it (see `_prune_stale_builds`); False if it is gone."""
    try:
        os.utime(build)
    except FileNotFoundError:
        return False  # pruned since we looked: build it again
    return True


def _prune_stale_builds(
    build_dir: Path, mode: LayerMode, keep: Path, *, stale_after: float = STALE_AFTER_SECONDS
) -> None:
    """Drop other builds of the same mode unused for `stale_after` seconds: a full layer is ~70 MB and
    changes with every dce edit, but a concurrent synth may still be copying a recent one."""
    cutoff = time.time() - stale_after
    for old in build_dir.glob(f"{mode}-*"):
        # Out of the way atomically first: nobody ever sees a half-deleted build under its final name.
        doomed = build_dir / f".{old.name}-deleting-{uuid.uuid4().hex}"
        try:
            if old == keep or not old.is_dir() or old.stat().st_mtime > cutoff:
                continue
            old.rename(doomed)
        except OSError:
            continue  # gone already: another synth pruned it
        shutil.rmtree(doomed, ignore_errors=True)


def layer_code(mode: LayerMode) -> lambda_.Code:
    """The layer as a CDK asset; its hash is our fingerprint, so CDK skips hashing ~70 MB each synth."""
    directory, fingerprint = build_layer(mode)
    return lambda_.Code.from_asset(str(directory), asset_hash=fingerprint, asset_hash_type=AssetHashType.CUSTOM)
