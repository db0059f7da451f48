"""The REST API in the template matches ROUTES: paths, methods, authorizer, integrations, errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from dce.api.routes import ROUTES
from infra.layer import layer_code
from infra.settings import settings_for
from infra.stacks.dce_stack import DceStack
from tests.infra.cfn import Synthesized, referenced_ids

pytestmark = pytest.mark.infra


def test_every_route_is_a_method_and_nothing_else(dev: Synthesized) -> None:
    expected = {(route.method, route.resource) for route in ROUTES}
    assert set(dev.api_methods()) == expected


def test_public_routes_have_no_authorizer_and_the_others_the_custom_one(dev: Synthesized) -> None:
    methods = dev.api_methods()
    (authorizer_id,) = dev.of_type("AWS::ApiGateway::Authorizer")
    for route in ROUTES:
        method = methods[(route.method, route.resource)]
        where = f"{route.method} {route.resource}"
        if route.public:
            assert method["AuthorizationType"] == "NONE", where
            assert "AuthorizerId" not in method, where
        else:
            assert method["AuthorizationType"] == "CUSTOM", where
            assert method["AuthorizerId"] == {"Ref": authorizer_id}, where


def test_each_route_is_proxied_to_its_areas_function(dev: Synthesized) -> None:
    methods = dev.api_methods()
    for route in ROUTES:
        integration = methods[(route.method, route.resource)]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert referenced_ids(integration["Uri"]) >= {dev.function_id(route.area)}, route


def test_authorizer_is_request_type_uncached_and_needs_no_particular_header(dev: Synthesized) -> None:
    (authorizer,) = dev.of_type("AWS::ApiGateway::Authorizer").values()
    props = authorizer["Properties"]
    assert props["Type"] == "REQUEST"
    # Bearer JWT *or* X-API-Key: an identity source would 401 requests lacking that one header.
    assert "IdentitySource" not in props
    assert props["AuthorizerResultTtlInSeconds"] == 0  # revoked keys stop working at once
    assert dev.function_id("authorizer") in referenced_ids(props["AuthorizerUri"])


def test_api_gateway_may_invoke_the_authorizer_and_the_route_functions(dev: Synthesized) -> None:
    (authorizer_id,) = dev.of_type("AWS::ApiGateway::Authorizer")
    (api_id,) = dev.of_type("AWS::ApiGateway::RestApi")
    invokable: dict[str, list[object]] = {}
    websocket_apis = set(dev.of_type("AWS::ApiGatewayV2::Api"))
    for permission in dev.of_type("AWS::Lambda::Permission").values():
        props = permission["Properties"]
        if referenced_ids(props["SourceArn"]) & websocket_apis:
            continue  # the WebSocket API's routes: tests/infra/test_websocket.py
        assert props["Principal"] == "apigateway.amazonaws.com"
        assert props["Action"] == "lambda:InvokeFunction"
        assert api_id in referenced_ids(props["SourceArn"]), "only our API may invoke"
        for function in referenced_ids(props["FunctionName"]):
            invokable.setdefault(function, []).append(props["SourceArn"])

    authorizer_sources = json.dumps(invokable[dev.function_id("authorizer")])
    assert "/authorizers/" in authorizer_sources
    assert authorizer_id in authorizer_sources
    routed = {dev.function_id(area) for area in {route.area for route in ROUTES}}
    assert set(invokable) == routed | {dev.function_id("authorizer")}, "only routed functions face the API"


def test_stage_is_named_after_the_environment_and_throttled(each_env: Synthesized) -> None:
    settings = settings_for(each_env.env)
    (stage,) = each_env.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == each_env.env
    (method_settings,) = props["MethodSettings"]
    assert method_settings["HttpMethod"] == "*"
    assert method_settings["ResourcePath"] == "/*"
    assert method_settings["ThrottlingRateLimit"] == settings.throttle_rate_limit
    assert method_settings["ThrottlingBurstLimit"] == settings.throttle_burst_limit


RETENTION_DAYS = {"dev": 7, "staging": 30, "prod": 90}


def test_every_log_group_keeps_logs_as_long_as_its_environment_says(each_env: Synthesized) -> None:
    for logical_id, group in each_env.of_type("AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == RETENTION_DAYS[each_env.env], logical_id


def test_stage_writes_json_access_logs_to_its_own_log_group_and_is_traced(each_env: Synthesized) -> None:
    (stage,) = each_env.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    log_groups = set(each_env.of_type("AWS::Logs::LogGroup"))
    (log_group,) = referenced_ids(props["AccessLogSetting"]["DestinationArn"]) & log_groups
    group = each_env.props(log_group)
    assert group["LogGroupName"] == f"/aws/apigateway/dce-{each_env.env}/access"
    assert group["RetentionInDays"] == RETENTION_DAYS[each_env.env]
    fields = json.loads(props["AccessLogSetting"]["Format"])
    assert fields["requestId"] == "$context.requestId" and fields["errorType"] == "$context.error.responseType"
    assert fields["resourcePath"] == "$context.resourcePath"  # the route template, never ids or phone numbers
    assert "$context.path" not in fields.values()
    (method_settings,) = props["MethodSettings"]
    # Execution logs: errors only, never request or response bodies (passwords, cards, tokens).
    assert method_settings["LoggingLevel"] == "ERROR"
    assert method_settings["DataTraceEnabled"] is False


def test_path_parameters_are_required_by_the_gateway(dev: Synthesized) -> None:
    (validator_id,) = dev.of_type("AWS::ApiGateway::RequestValidator")
    validator = dev.props(validator_id)
    assert validator["ValidateRequestParameters"] is True
    assert validator["ValidateRequestBody"] is False  # bodies: pydantic in the functions, the contract's 400
    for route in ROUTES:
        method = dev.api_methods()[(route.method, route.resource)]
        names = [part[1:-1] for part in route.path.split("/") if part.startswith("{")]
        expected = {f"method.request.path.{name}": True for name in names}
        assert method.get("RequestParameters", {}) == expected, route
        assert (method.get("RequestValidatorId") == {"Ref": validator_id}) == bool(names), route


def test_access_logging_writes_json_lines_to_a_log_group(cdk_context: dict[str, object], tmp_path: Path) -> None:
    settings = dataclasses.replace(settings_for("dev"), access_logging=True)
    app = App(context=cdk_context, outdir=str(tmp_path))
    stack = DceStack(app, "AccessLogged", settings=settings, layer_code=layer_code("source"))
    template = Template.from_stack(stack).to_json()
    (stage,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage")
    setting = stage["Properties"]["AccessLogSetting"]
    log_groups = {key for key, r in template["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup"}
    assert referenced_ids(setting["DestinationArn"]) & log_groups
    assert json.loads(setting["Format"].replace("$context.", ""))  # one JSON object per request


GATEWAY_ERRORS = [
    ("UNAUTHORIZED", "401", "UNAUTHORIZED"),
    ("ACCESS_DENIED", "403", "FORBIDDEN"),
    ("MISSING_AUTHENTICATION_TOKEN", "404", "NOT_FOUND"),
    ("REQUEST_TOO_LARGE", "413", "PAYLOAD_TOO_LARGE"),
    ("THROTTLED", "429", "RATE_LIMITED"),
    ("DEFAULT_4XX", None, "BAD_REQUEST"),
    ("DEFAULT_5XX", None, "INTERNAL_ERROR"),
]


def _render(template: str) -> object:
    """The body a client would get: API Gateway substitutes these variables (messageString is quoted)."""
    rendered = template.replace("$context.error.messageString", '"gateway says no"')
    return json.loads(rendered.replace("$context.requestId", "req-123"))


@pytest.mark.parametrize(("response_type", "status", "code"), GATEWAY_ERRORS)
def test_gateway_errors_use_the_project_error_shape(
    dev: Synthesized, response_type: str, status: str | None, code: str
) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in dev.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    props = responses[response_type]
    assert props.get("StatusCode") == status  # None: the DEFAULT_* responses keep API Gateway's status
    template = props["ResponseTemplates"]["application/json"]
    assert template.endswith("}\n"), "JSON bodies end with a newline, as the functions' do"
    body = _render(template)
    assert isinstance(body, dict)
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == "req-123"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert props["ResponseParameters"]["gatewayresponse.header.X-Request-Id"] == "context.requestId"


def test_gateway_error_codes_and_statuses_agree_with_the_lambdas() -> None:
    from dce.api.errors import STATUS_BY_CODE
    from infra.constructs.gateway_responses import GATEWAY_ERRORS as DEFINED

    for error in DEFINED:
        assert error.code in STATUS_BY_CODE, error
        if error.status is not None:
            assert int(error.status) == STATUS_BY_CODE[error.code], error


def test_unauthorized_carries_a_bearer_challenge(dev: Synthesized) -> None:
    dev.template.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {
            "ResponseType": "UNAUTHORIZED",
            "ResponseParameters": {"gatewayresponse.header.WWW-Authenticate": "'Bearer realm=\"dce\"'"},
        },
    )


def test_outputs_name_the_api_url_and_every_table(dev: Synthesized) -> None:
    outputs = dev.json["Outputs"]
    assert "/api/v1" in json.dumps(outputs["ApiUrl"]["Value"])
    table_outputs = {key for key in outputs if key.endswith("TableName")}
    assert len(table_outputs) == len(dev.of_type("AWS::DynamoDB::Table"))
