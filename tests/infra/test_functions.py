"""Lambda functions from AREAS: runtime, layer, configuration, and IAM exactly as AREAS declares."""

from __future__ import annotations

import json

import pytest

from dce.adapters.tables import (
    ACCOUNTS,
    API_KEYS,
    AUCTIONS,
    BID_PROFILES,
    BIDS,
    CALLS,
    CONNECTIONS,
    COUNTERS,
    LEDGER,
    TABLES,
)
from dce.api.routes import AREAS, ROUTES, Area
from infra.paths import FUNCTIONS_DIR
from infra.settings import settings_for
from tests.infra.cfn import DYNAMODB_WRITE_ACTIONS, Synthesized, as_list, only_streams, referenced_ids

pytestmark = pytest.mark.infra

AREA_IDS = [area.name for area in AREAS]
READ_ACTIONS = {"dynamodb:GetItem", "dynamodb:Query"}
# The functions that are no route's target, and why they exist.
UNROUTED_AREAS = {
    "authorizer": "the API's Lambda authorizer",
    "auction_close": "the auction timer's task",
    "ws": "the WebSocket API's routes",
    "events": "the events fan-out, fed by DynamoDB streams",
    "autobids": "the automatic bids, fed by the auctions stream",
    "pushes": "the WebSocket pushes, fed by the push queue",
}


def test_one_function_per_area_and_nothing_else(dev: Synthesized) -> None:
    names = {f["Properties"]["FunctionName"] for f in dev.of_type("AWS::Lambda::Function").values()}
    assert names == {f"dce-dev-{area.name}" for area in AREAS}


def test_every_area_serves_routes_or_has_another_known_job() -> None:
    routed = {route.area for route in ROUTES}
    for area in AREAS:
        assert (area.name in routed) != (area.name in UNROUTED_AREAS), area.name
    assert set(UNROUTED_AREAS) <= {area.name for area in AREAS}


@pytest.mark.parametrize("area", AREAS, ids=AREA_IDS)
def test_function_runtime_code_and_layer(dev: Synthesized, area: Area) -> None:
    props = dev.props(dev.function_id(area.name))
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["x86_64"]
    assert props["Handler"] == f"{area.module}.lambda_handler"
    (layer_id,) = dev.of_type("AWS::Lambda::LayerVersion")
    assert props["Layers"] == [{"Ref": layer_id}]


@pytest.mark.parametrize("area", AREAS, ids=AREA_IDS)
def test_handler_module_exists_and_defines_the_entry_point(area: Area) -> None:
    module = FUNCTIONS_DIR / area.code_folder / f"{area.module}.py"
    assert module.is_file(), f"{area.name}: {module} missing"
    assert "def lambda_handler(" in module.read_text()


def test_handler_strings_of_the_auction_functions(dev: Synthesized) -> None:
    assert dev.props(dev.function_id("auctions"))["Handler"] == "handler.lambda_handler"
    assert dev.props(dev.function_id("auction_close"))["Handler"] == "close.lambda_handler"


def test_functions_share_a_code_asset_exactly_when_they_share_a_folder(dev: Synthesized) -> None:
    """The asset is `functions/<code_folder>`: auctions and auction_close ship the same zip."""
    s3_key = {area.name: json.dumps(dev.props(dev.function_id(area.name))["Code"]["S3Key"]) for area in AREAS}
    for first in AREAS:
        for second in AREAS:
            same_folder = first.code_folder == second.code_folder
            assert (s3_key[first.name] == s3_key[second.name]) == same_folder, (first.name, second.name)
    assert s3_key["auctions"] == s3_key["auction_close"]


def test_layer_is_for_python_312_on_x86_64(dev: Synthesized) -> None:
    (layer,) = dev.of_type("AWS::Lambda::LayerVersion").values()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["x86_64"]


@pytest.mark.parametrize("area", AREAS, ids=AREA_IDS)
def test_function_environment(each_env: Synthesized, area: Area) -> None:
    variables = each_env.props(each_env.function_id(area.name))["Environment"]["Variables"]
    (secret_id,) = each_env.of_type("AWS::SecretsManager::Secret")
    assert variables["DCE_ENV"] == each_env.env
    # The stack sets the prefix itself (never inherited from the synth machine's environment).
    assert variables["DCE_TABLE_PREFIX"] == f"dce-{each_env.env}"
    if area.uses_jwt_secret:
        assert variables["DCE_JWT_SECRET_ARN"] == {"Ref": secret_id}
    else:
        assert "DCE_JWT_SECRET_ARN" not in variables
    assert variables["POWERTOOLS_SERVICE_NAME"] == "dce"
    # The contract with the handlers' Powertools Metrics: one namespace per environment.
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == f"dce-{each_env.env}"
    assert variables["POWERTOOLS_LOG_LEVEL"] in ("DEBUG", "INFO")
    assert variables["DCE_SIGNUP_CREDIT"] == ("0" if each_env.env == "prod" else "1000.00")
    assert variables["DCE_BIDS_PER_HOUR"] == str(settings_for(each_env.env).bids_per_hour)
    if area.starts_auction_timer:
        assert variables["DCE_AUCTION_STATE_MACHINE_ARN"] == {"Ref": each_env.state_machine_id()}
    else:
        assert "DCE_AUCTION_STATE_MACHINE_ARN" not in variables


def test_no_secret_value_reaches_the_environment(each_env: Synthesized) -> None:
    for logical_id, function in each_env.of_type("AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert "DCE_JWT_SECRET" not in variables, logical_id  # the plaintext key variable
        rendered = json.dumps(variables)
        assert "resolve:secretsmanager" not in rendered, logical_id  # a dynamic reference = plaintext in Lambda
        assert "SecretString" not in rendered, logical_id


def test_jwt_key_is_generated_long_enough(dev: Synthesized) -> None:
    (secret,) = dev.of_type("AWS::SecretsManager::Secret").values()
    generator = secret["Properties"]["GenerateSecretString"]
    assert generator["PasswordLength"] >= 32  # dce.adapters.secrets rejects shorter HS256 keys
    assert "SecretString" not in secret["Properties"]


def test_the_functions_that_never_touch_tokens_are_auction_close_and_the_stream_and_queue_consumers() -> None:
    never = {"auction_close", "events", "autobids", "pushes"}
    assert {area.name for area in AREAS if not area.uses_jwt_secret} == never


@pytest.mark.parametrize("area", AREAS, ids=AREA_IDS)
def test_exactly_the_functions_that_use_the_jwt_key_can_read_it(dev: Synthesized, area: Area) -> None:
    (secret_id,) = dev.of_type("AWS::SecretsManager::Secret")
    granted = dev.actions_with_prefix(dev.function_id(area.name), "secretsmanager:")
    if area.uses_jwt_secret:
        assert ("secretsmanager:GetSecretValue", {"Ref": secret_id}) in granted
        assert all(referenced_ids(resource) == {secret_id} for _, resource in granted)
    else:
        assert granted == [], f"{area.name} never signs or verifies a token, yet may read secrets"


@pytest.mark.parametrize("area", AREAS, ids=AREA_IDS)
def test_function_is_traced_and_has_a_role_of_its_own_without_managed_policies(dev: Synthesized, area: Area) -> None:
    props = dev.props(dev.function_id(area.name))
    assert props["TracingConfig"] == {"Mode": "Active"}
    (role_id,) = referenced_ids(props["Role"])
    role = dev.props(role_id)
    assert "ManagedPolicyArns" not in role, "AWSLambdaBasicExecutionRole would allow logs:* on every log group"
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    other_roles = [
        referenced_ids(dev.props(dev.function_id(other.name))["Role"]) for other in AREAS if other.name != area.name
    ]
    assert all(role_id not in roles for roles in other_roles), "roles are not shared between functions"


@pytest.mark.parametrize("area", AREAS, ids=AREA_IDS)
def test_function_writes_only_its_own_log_group(dev: Synthesized, area: Area) -> None:
    props = dev.props(dev.function_id(area.name))
    log_group = referenced_ids(props["LoggingConfig"]["LogGroup"])
    assert dev.props(next(iter(log_group)))["LogGroupName"] == f"/aws/lambda/dce-dev-{area.name}"
    granted = dev.actions_with_prefix(dev.function_id(area.name), "logs:")
    assert {action for action, _ in granted} == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert all(referenced_ids(resource) == log_group for _, resource in granted)


@pytest.mark.parametrize("area", AREAS, ids=AREA_IDS)
def test_table_access_is_exactly_what_areas_declares(dev: Synthesized, area: Area) -> None:
    granted = dev.dynamodb_actions_by_table(dev.function_id(area.name))
    declared = {dev.table_id(spec.name): access for spec, access in area.tables}
    assert set(granted) == set(declared), "access to a table AREAS does not list (or a listed one missing)"
    for table_id, access in declared.items():
        assert granted[table_id] >= READ_ACTIONS
        if access == "write":
            assert granted[table_id] >= {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
        else:
            assert not granted[table_id] & DYNAMODB_WRITE_ACTIONS, f"{area.name} may write {table_id}"


# Least privilege stated independently of AREAS, so that widening an area there fails here too.
@pytest.mark.parametrize("area", ["bids", "auction_close"])
def test_marketplace_functions_never_touch_money_or_identity(dev: Synthesized, area: str) -> None:
    granted = dev.dynamodb_actions_by_table(dev.function_id(area))
    for spec in (ACCOUNTS, LEDGER, CALLS, API_KEYS):
        assert dev.table_id(spec.name) not in granted, f"{area} may touch {spec.name}"


def test_the_automatic_bids_place_bids_and_only_read_profiles_and_calls(dev: Synthesized) -> None:
    """The bid path (the auction, the seller's bid, its hourly counter) and the done-markers (counters); the
    profiles and the call are read, never written; no money, no identity."""
    granted = dev.dynamodb_actions_by_table(dev.function_id("autobids"))
    assert set(granted) == {dev.table_id(t.name) for t in (AUCTIONS, BIDS, COUNTERS, BID_PROFILES, CALLS)}
    for spec in (BID_PROFILES, CALLS):
        assert not granted[dev.table_id(spec.name)] & DYNAMODB_WRITE_ACTIONS, spec.name


def test_opening_auctions_no_longer_touches_profiles_or_bid_counters(dev: Synthesized) -> None:
    granted = dev.dynamodb_actions_by_table(dev.function_id("auctions"))
    assert dev.table_id(BID_PROFILES.name) not in granted and dev.table_id(COUNTERS.name) not in granted


def test_auction_close_only_touches_auctions_and_bids(dev: Synthesized) -> None:
    granted = dev.dynamodb_actions_by_table(dev.function_id("auction_close"))
    assert set(granted) == {dev.table_id(AUCTIONS.name), dev.table_id(BIDS.name)}


def test_only_the_accounts_and_calls_functions_may_write_the_ledger(dev: Synthesized) -> None:
    writers = {
        area.name
        for area in AREAS
        if dev.dynamodb_actions_by_table(dev.function_id(area.name)).get(dev.table_id(LEDGER.name), set())
        & DYNAMODB_WRITE_ACTIONS
    }
    assert writers == {"accounts", "calls"}


def test_authorizer_only_reads_api_keys_and_accounts(dev: Synthesized) -> None:
    """Issue 14: every request reads the caller's account (a suspended account is refused at once), so the
    authorizer reads accounts too; it still writes nothing."""
    granted = dev.dynamodb_actions_by_table(dev.function_id("authorizer"))
    assert set(granted) == {dev.table_id(API_KEYS.name), dev.table_id(ACCOUNTS.name)}
    for table_id in granted:
        assert not granted[table_id] & DYNAMODB_WRITE_ACTIONS, table_id


def test_the_websocket_function_reads_accounts_and_writes_only_connections(dev: Synthesized) -> None:
    """$connect refuses a suspended account: it reads its status, and may change nothing of it."""
    granted = dev.dynamodb_actions_by_table(dev.function_id("ws"))
    assert set(granted) == {dev.table_id(CONNECTIONS.name), dev.table_id(ACCOUNTS.name)}
    assert not granted[dev.table_id(ACCOUNTS.name)] & DYNAMODB_WRITE_ACTIONS


def test_grants_name_each_index_of_the_tables_that_have_them(dev: Synthesized) -> None:
    indexes = {dev.table_id(spec.name): {index.name for index in spec.indexes} for spec in TABLES}
    for _, statement in dev.statements():
        resources = json.dumps(statement["Resource"])
        assert "/index/*" not in resources, "every index is named: no wildcard over a table's indexes"
        if only_streams(statement["Resource"]):
            continue  # an event source reads the stream, not the table or its indexes
        for table_id in referenced_ids(statement["Resource"]) & set(indexes):
            for index in indexes[table_id]:
                assert f"/index/{index}" in resources, f"{table_id}: queries on {index} would be denied"


# No resource-level permissions: ListStreams (the DynamoDB event source mapping requires it) and X-Ray's.
ACTIONS_ONLY_ON_EVERY_RESOURCE = {"dynamodb:ListStreams", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_no_data_statement_applies_to_every_resource(dev: Synthesized) -> None:
    for role, statement in dev.statements():
        actions = as_list(statement["Action"])
        if set(actions) <= ACTIONS_ONLY_ON_EVERY_RESOURCE:
            continue
        if any(a.startswith(("dynamodb:", "secretsmanager:", "states:", "lambda:")) for a in actions):
            assert "*" not in as_list(statement["Resource"]), f"{role}: {actions} on Resource '*'"
            assert not any(a.endswith(":*") for a in actions), f"{role}: wildcard action {actions}"
