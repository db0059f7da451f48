"""Real-time events in the template: the WebSocket API and its routes, the events function's stream
sources, and `execute-api:ManageConnections` on this API's `@connections` only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dce.adapters.stream_records import STREAM_SOURCES
from dce.adapters.tables import TABLES
from dce.api.routes import AREAS
from infra.settings import settings_for
from tests.infra.cfn import Synthesized, as_list, only_streams, referenced_ids

pytestmark = pytest.mark.infra

STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}


def _api_id(synthesized: Synthesized) -> str:
    (api_id,) = synthesized.of_type("AWS::ApiGatewayV2::Api")
    return api_id


def _joined(value: Any) -> str:
    """An `Fn::Join` rendered with `<Ref>` placeholders, to read ARNs and URLs built from references."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_joined(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    return "<" + ",".join(sorted(referenced_ids(value))) + ">"


def test_one_websocket_api_per_environment_with_a_stage_named_after_it(each_env: Synthesized) -> None:
    api_id = _api_id(each_env)
    api = each_env.props(api_id)
    assert (api["Name"], api["ProtocolType"]) == (f"dce-{each_env.env}-events", "WEBSOCKET")
    (stage,) = each_env.of_type("AWS::ApiGatewayV2::Stage").values()
    settings = settings_for(each_env.env)
    assert stage["Properties"]["StageName"] == each_env.env and stage["Properties"]["AutoDeploy"] is True
    assert stage["Properties"]["ApiId"] == {"Ref": api_id}
    assert stage["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": settings.throttle_burst_limit,
        "ThrottlingRateLimit": settings.throttle_rate_limit,
    }


def test_connect_disconnect_and_default_all_run_the_ws_function(dev: Synthesized) -> None:
    routes = {r["Properties"]["RouteKey"]: r["Properties"] for r in dev.of_type("AWS::ApiGatewayV2::Route").values()}
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    integrations = dev.of_type("AWS::ApiGatewayV2::Integration")
    for key, route in routes.items():
        (integration_id,) = referenced_ids(route["Target"])
        integration = integrations[integration_id]["Properties"]
        assert integration["IntegrationType"] == "AWS_PROXY", key
        assert referenced_ids(integration["IntegrationUri"]) >= {dev.function_id("ws")}, key
        # $connect checks the ?token= itself (and refuses the handshake): no separate authorizer.
        assert route["AuthorizationType"] == "NONE", key


def test_the_default_route_returns_the_functions_reply_to_the_client(dev: Synthesized) -> None:
    default = next(
        (key, r["Properties"])
        for key, r in dev.of_type("AWS::ApiGatewayV2::Route").items()
        if r["Properties"]["RouteKey"] == "$default"
    )
    assert default[1]["RouteResponseSelectionExpression"] == "$default"
    (response,) = dev.of_type("AWS::ApiGatewayV2::RouteResponse").values()
    assert response["Properties"]["RouteId"] == {"Ref": default[0]}


def test_only_this_websocket_api_may_invoke_the_ws_function(dev: Synthesized) -> None:
    ws = dev.function_id("ws")
    permissions = [
        p["Properties"]
        for p in dev.of_type("AWS::Lambda::Permission").values()
        if referenced_ids(p["Properties"]["FunctionName"]) == {ws}
    ]
    assert len(permissions) == 3
    for permission in permissions:
        assert permission["Principal"] == "apigateway.amazonaws.com"
        assert _api_id(dev) in referenced_ids(permission["SourceArn"])


def test_the_stream_enabled_tables_are_the_marketplace_tables() -> None:
    assert {t.name for t in STREAM_SOURCES} == {"calls", "auctions", "bids"}
    assert {t.name for t in TABLES if t.stream} == {t.name for t in STREAM_SOURCES}


def _events_mappings(synthesized: Synthesized) -> list[dict[str, Any]]:
    events = {"Ref": synthesized.function_id("events")}
    mappings = synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
    return [m["Properties"] for m in mappings if m["Properties"]["FunctionName"] == events]


def _events_queue(synthesized: Synthesized) -> str:
    (queue_id,) = {
        queue
        for mapping in _events_mappings(synthesized)
        for queue in referenced_ids(mapping["DestinationConfig"]["OnFailure"]["Destination"])
    }
    return queue_id


def test_the_events_area_consumes_every_stream() -> None:
    (events,) = [area for area in AREAS if area.name == "events"]
    assert events.streams == STREAM_SOURCES and events.stream_event_names == ()


def test_the_events_function_reads_each_stream_from_latest_with_bounded_retries(each_env: Synthesized) -> None:
    mappings = _events_mappings(each_env)
    streams = {each_env.table_id(t.name) for t in STREAM_SOURCES}
    assert {next(iter(referenced_ids(m["EventSourceArn"]))) for m in mappings} == streams
    assert len(mappings) == len(streams)
    queue_id = _events_queue(each_env)
    for mapping in mappings:
        assert mapping["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
        assert mapping["FunctionName"] == {"Ref": each_env.function_id("events")}
        assert mapping["StartingPosition"] == "LATEST"
        assert mapping["BisectBatchOnFunctionError"] is True
        assert 0 < mapping["MaximumRetryAttempts"] <= 5 and mapping["BatchSize"] == 100
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert referenced_ids(mapping["DestinationConfig"]["OnFailure"]["Destination"]) == {queue_id}
        assert "FilterCriteria" not in mapping  # every change may be an event


def test_failed_batches_go_to_an_encrypted_queue_that_refuses_plain_http(dev: Synthesized) -> None:
    queue_id = _events_queue(dev)
    queue = dev.json["Resources"][queue_id]
    assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [dev.data_key_id, "Arn"]}
    (policy,) = (
        p for p in dev.of_type("AWS::SQS::QueuePolicy").values() if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    )
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_only_the_stream_consumers_read_streams_and_each_only_its_own(dev: Synthesized) -> None:
    """The events function reads every stream; the automatic bids only the auctions stream; nobody else any."""
    assert {area.name for area in AREAS if area.streams} == {"events", "autobids"}
    for area in AREAS:
        streamed = set()
        for statement in dev.role_statements(dev.function_id(area.name)):
            if only_streams(statement["Resource"]):
                assert set(as_list(statement["Action"])) == STREAM_ACTIONS
                streamed |= referenced_ids(statement["Resource"])
        assert streamed == {dev.table_id(t.name) for t in area.streams}, area.name


# Who may use @connections on this stage, and how: the events function pushes (POST) and closes expired
# connections (DELETE); the accounts function only closes (DELETE): a suspension closes the account's
# connections itself (issue 14). Nobody else, no GET, no other stage.
MANAGES_CONNECTIONS = {"pushes": ("DELETE", "POST"), "accounts": ("DELETE",)}


def test_only_the_push_and_accounts_functions_may_manage_connections_each_only_as_it_needs(
    each_env: Synthesized,
) -> None:
    granted = [
        (role, statement)
        for role, statement in each_env.statements()
        if any(a.startswith("execute-api:") for a in as_list(statement["Action"]))
    ]
    assert len(granted) == len(MANAGES_CONNECTIONS)
    for area, methods in MANAGES_CONNECTIONS.items():
        role_ids = referenced_ids(each_env.props(each_env.function_id(area))["Role"])
        (statement,) = [statement for role, statement in granted if role in role_ids]
        assert (statement["Effect"], statement["Action"]) == ("Allow", "execute-api:ManageConnections")
        rendered = sorted(_joined(resource) for resource in as_list(statement["Resource"]))
        assert len(rendered) == len(methods), area
        for method, resource in zip(methods, rendered, strict=True):
            assert resource.endswith(f":<{_api_id(each_env)}>/{each_env.env}/{method}/@connections/*"), resource
            assert ":execute-api:" in resource


def test_the_functions_that_manage_connections_are_told_the_stages_callback_url(each_env: Synthesized) -> None:
    managers = {each_env.function_id(area) for area in MANAGES_CONNECTIONS}
    for logical_id, function in each_env.of_type("AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        if logical_id not in managers:
            assert "DCE_WS_ENDPOINT" not in variables, logical_id
            continue
        url = _joined(variables["DCE_WS_ENDPOINT"])
        assert url.startswith(f"https://<{_api_id(each_env)}>.execute-api.") and url.endswith(f"/{each_env.env}")


def test_the_websocket_url_is_an_output(dev: Synthesized) -> None:
    output = dev.json["Outputs"]["WebSocketUrl"]["Value"]
    assert _joined(output).startswith(f"wss://<{_api_id(dev)}>.execute-api.")
    assert json.dumps(output).count("/dev") == 1


def test_the_websocket_stage_writes_json_access_logs_without_the_token(each_env: Synthesized) -> None:
    (stage,) = each_env.of_type("AWS::ApiGatewayV2::Stage").values()
    setting = stage["Properties"]["AccessLogSettings"]
    log_groups = set(each_env.of_type("AWS::Logs::LogGroup"))
    (log_group,) = referenced_ids(setting["DestinationArn"]) & log_groups
    assert each_env.props(log_group)["LogGroupName"] == f"/aws/apigateway/dce-{each_env.env}-events/access"
    fields = json.loads(setting["Format"])
    assert fields["connectionId"] == "$context.connectionId"
    assert not any("querystring" in value.lower() or "token" in value.lower() for value in fields.values())
