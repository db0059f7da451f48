"""Where things live in the repository, resolved from this file so synth works from any cwd."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = REPO_ROOT / "pyproject.toml"
FUNCTIONS_DIR = REPO_ROOT / "functions"  # functions/<area.code_folder>/<area.module>.py
SHARED_PYTHON_DIR = REPO_ROOT / "layers" / "shared" / "python"  # holds the `dce` package
LAYER_BUILD_DIR = REPO_ROOT / ".build" / "layer"  # cache of built layer directories (git-ignored)


def function_dir(folder: str) -> Path:
    """The code asset of a function: `functions/<folder>` (an area's `code_folder`)."""
    return FUNCTIONS_DIR / folder
