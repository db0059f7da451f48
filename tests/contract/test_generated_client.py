"""The document generates a usable SDK (issue 16): openapi-python-client, run on `api/openapi.yaml` with no
warning, writes fewer than 100 model files and one readable module per operation (`create_call.py`, not
`create_call_api_v1_calls_post.py`), and types money as a number, never `float | str`.

Each of these is a property of the document, not of the generator: inline error schemas per operation would
multiply the models (`create_call_response_400.py`, ...), a missing or generated operationId makes the
generator derive names from the method and path, and a Decimal serialized as `anyOf: [number, string]`
becomes `float | str`.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.paths import REPO_ROOT
from tests.contract.openapi_contract import DOCUMENT
from tests.contract.openapi_contract import document as committed

# openapi-python-client lives in its own virtualenv (`make openapi-client`): its pins are not the project's.
OPENAPI_CLIENT = Path(
    os.environ.get("DCE_OPENAPI_CLIENT", REPO_ROOT / ".venv-openapi-client" / "bin" / "openapi-python-client")
)
MAX_MODELS = 100
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
# Names derived from the method and path: with no operationId (`post_calls_id_route`) or FastAPI's
# (`create_call_api_v1_calls_post`). `get_` and `delete_` begin readable operationIds too (getCall, deleteBidProfile).
UNREADABLE = re.compile(rf"__|_id_|_id$|api_v\d|^(post|put|patch)_|_({'|'.join(HTTP_METHODS)})$")
MONEY_FIELD = re.compile(r"(^|_)(amount|cost|balance|price|credit_limit)(_|$)")


def snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def generate(document: Path, output: Path) -> subprocess.CompletedProcess[str]:
    if not OPENAPI_CLIENT.is_file():
        raise FileNotFoundError(
            f"openapi-python-client is not installed at {OPENAPI_CLIENT}: run `make openapi-client` (make test does)"
        )
    # Its post-hooks run the ruff of its own virtualenv; without it on PATH they warn, and warnings fail.
    path = f"{OPENAPI_CLIENT.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(  # noqa: S603 (our own fixed command)
        [
            str(OPENAPI_CLIENT),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(output),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=output.parent,
        env={**os.environ, "PATH": path},
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("generated") / "dce_generated_client"
    result = generate(DOCUMENT, output)
    assert result.returncode == 0, f"openapi-python-client failed or warned:\n{(result.stdout + result.stderr)[-4000:]}"
    return output


@pytest.fixture(scope="module")
def operation_ids() -> list[str]:
    doc: dict[str, Any] = committed()
    operations = {
        f"{method.upper()} {path}": operation.get("operationId")
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }
    assert None not in operations.values(), [name for name, found in operations.items() if found is None]
    return [operation_id for operation_id in operations.values() if operation_id is not None]


def model_files(client: Path) -> list[Path]:
    return sorted(path for path in (client / "models").glob("*.py") if path.name != "__init__.py")


def operation_modules(client: Path) -> dict[str, str]:
    """Module name -> tag directory, for every generated API function module."""
    return {path.stem: path.parent.name for path in (client / "api").glob("*/*.py") if path.name != "__init__.py"}


def class_fields(path: Path) -> dict[str, str]:
    """The attrs fields of the model classes in `path` and their annotations, as written."""
    fields: dict[str, str] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                    fields[f"{path.stem}.{statement.target.id}"] = ast.unparse(statement.annotation)
    return fields


def test_fewer_than_100_models_none_inlined_per_operation(client: Path, operation_ids: list[str]):
    models = [path.stem for path in model_files(client)]
    print(f"openapi-python-client: {len(models)} model files")
    assert 0 < len(models) < MAX_MODELS, f"{len(models)} model files: {models}"
    # What the generator names a schema inlined in an operation instead of referenced from components.
    inline = re.compile(rf"^({'|'.join(map(snake, operation_ids))})_(body|response_\d{{3}})(_|$)")
    inlined = [name for name in models if inline.search(name)]
    assert inlined == [], f"schemas inlined in operations instead of components: {inlined}"


def test_one_readable_module_per_operation_id(client: Path, operation_ids: list[str]):
    modules = operation_modules(client)
    print(f"openapi-python-client: {len(modules)} operation modules in {len(set(modules.values()))} tags")
    unreadable = sorted(name for name in modules if UNREADABLE.search(name))
    assert unreadable == [], f"module names derived from the method or path, not an operationId: {unreadable}"
    assert len(operation_ids) == len(set(operation_ids))
    assert sorted(modules) == sorted(snake(operation_id) for operation_id in operation_ids)
    assert modules["create_call"] == "calls"
    assert modules["place_bid"] == "bids"
    assert modules["list_transactions"] == "accounts"


def test_money_is_a_number_not_a_string(client: Path):
    fields: dict[str, str] = {}
    for path in model_files(client):
        fields.update(class_fields(path))
    money = {name: annotation for name, annotation in fields.items() if MONEY_FIELD.search(name.split(".")[1])}
    print(f"openapi-python-client: {len(money)} money fields of {len(fields)} model fields")
    # The fields an SDK user handles most: what a call cost, what a transaction moved, what a bid offers.
    for name in ("call_out.cost", "transaction_out.amount", "transaction_out.balance_after", "place_bid_in.amount"):
        assert name in money, f"{name} is not generated (fields: {sorted(money)})"
    strings = {name: annotation for name, annotation in money.items() if re.search(r"\bstr\b", annotation)}
    assert strings == {}, f"money typed as a string: {strings}"
    assert all(re.search(r"\bfloat\b", annotation) for annotation in money.values()), money
