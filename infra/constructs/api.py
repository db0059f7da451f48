"""The REST API, built from `dce.api.routes.ROUTES`: resources under /api/v1, one proxy integration per area."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

import jsii
from aws_cdk import Aws, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from dce.api.routes import ROUTES, Route
from infra import checkov
from infra.constructs.gateway_responses import add_gateway_responses
from infra.constructs.log_groups import log_group
from infra.nag import acknowledge
from infra.settings import Settings

_PATH_PARAMETER = re.compile(r"\{([A-Za-z0-9_]+)\}")
# One JSON object per request. `resourcePath` is the route template (`/api/v1/calls/{id}`), never the
# requested path, so ids and phone numbers (`/compliance/dnc/{phone}`) stay out of the access logs;
# `errorType` is API Gateway's own response type (THROTTLED, UNAUTHORIZED, ...), which the throttle
# alarm counts (see infra/constructs/observability.py).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "xrayTraceId": "$context.xrayTraceId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integration.latency",
    "errorType": "$context.error.responseType",
    "principalId": "$context.authorizer.principalId",
}
THROTTLED_ERROR_TYPE = "THROTTLED"


def path_parameters(path: str) -> list[str]:
    """`/calls/{id}/route` → `["id"]`."""
    return _PATH_PARAMETER.findall(path)


@jsii.implements(apigw.IAuthorizer)
class _AuthorizerRef:
    """Lets `add_method` attach the L1 authorizer below (CDK's L2 authorizers need an identity source)."""

    def __init__(self, authorizer: apigw.CfnAuthorizer) -> None:
        self._authorizer_id = authorizer.ref

    @property
    def authorizer_id(self) -> str:
        return self._authorizer_id

    @property
    def authorization_type(self) -> apigw.AuthorizationType | None:
        return apigw.AuthorizationType.CUSTOM


class RestApiFromRoutes(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        handlers: Mapping[str, lambda_.IFunction],
        authorizer_function: lambda_.IFunction,
        routes: Iterable[Route] = ROUTES,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_log_group: logs.LogGroup | None = None
        self.api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=settings.name_prefix,
            description="Dependable Call Exchange API (built from dce.api.routes.ROUTES)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,  # account-wide singleton: not this app's to own
            deploy_options=self._stage_options(settings),
        )
        # API Gateway checks that path parameters are present (cheap, before any Lambda runs). Bodies are
        # validated by the functions (pydantic, from the same models as api/openapi.yaml): a gateway body
        # model would duplicate the contract and answer in another error shape than VALIDATION_ERROR.
        validator = self.api.add_request_validator(
            "PathParameters",
            request_validator_name=f"{settings.name_prefix}-path-parameters",
            validate_request_parameters=True,
            validate_request_body=False,
        )
        authorizer = _AuthorizerRef(self._request_authorizer(authorizer_function, settings))
        routes = tuple(routes)
        routed_areas = {route.area for route in routes}
        # One integration per routed function (a function no route names, e.g. a Step Functions task,
        # gets no integration and no API invoke permission); the invoke permission covers the whole API
        # instead of one statement per method, which would outgrow Lambda's 20 KB resource policy.
        integrations = {
            area: apigw.LambdaIntegration(function, proxy=True, scope_permission_to_method=False)
            for area, function in handlers.items()
            if area in routed_areas
        }
        for route in routes:
            if route.area not in integrations:
                raise KeyError(f"{route.method} {route.path}: no function for area {route.area!r} in AREAS")
            resource = self.api.root.resource_for_path(route.resource)
            parameters = {f"method.request.path.{name}": True for name in path_parameters(route.path)}
            checked = validator if parameters else None
            if route.public:
                method = resource.add_method(
                    route.method,
                    integrations[route.area],
                    authorization_type=apigw.AuthorizationType.NONE,
                    request_validator=checked,
                    request_parameters=parameters or None,
                )
                public_reason = (
                    f"{route.method} {route.resource} is public by contract (ROUTES roles=()): health, sign-up, "
                    "log-in and refresh are how a caller obtains credentials in the first place."
                )
                acknowledge(method, "APIG4", public_reason)
                checkov.acknowledge(method, "CKV_AWS_59", public_reason + " Each is rate-limited per client IP.")
            else:
                resource.add_method(
                    route.method,
                    integrations[route.area],
                    authorizer=authorizer,
                    request_validator=checked,
                    request_parameters=parameters or None,
                )
        add_gateway_responses(self.api)
        acknowledge(
            self.api,
            "APIG2",
            "Requests are validated, in two places: API Gateway checks path parameters (the PathParameters "
            "validator); bodies are checked by the functions against the OpenAPI models (pydantic), which "
            "answer the contract's 400 VALIDATION_ERROR naming the field. A body-validating gateway validator "
            "without models would check nothing, and models would duplicate the contract in another error shape.",
        )
        acknowledge(
            self.api,
            "COG4",
            "Callers authenticate with the exchange's own JWTs or API keys, verified by the REQUEST Lambda "
            "authorizer (CUSTOM) on every non-public route; there is no Cognito user pool by design.",
        )
        acknowledge(
            self.api.deployment_stage,
            "APIG3",
            "No WAF web ACL yet: stage throttling (settings) and the per-caller token bucket and log-in "
            "limits in the functions bound abuse; a web ACL (about 5 USD/month + rules) is a later, "
            "per-account decision recorded in docs/decisions.md (Deploy).",
        )
        checkov.acknowledge(
            self.api.deployment_stage,
            "CKV_AWS_120",
            "No API Gateway cache: every answer depends on the caller (authorized per request, cache TTL 0 so "
            "revoked keys stop at once) and on money that moves (balances, bids); a cache would serve one "
            "caller's data or a stale balance to another request.",
        )

    def _stage_options(self, settings: Settings) -> apigw.StageOptions:
        destination: apigw.IAccessLogDestination | None = None
        log_format: apigw.AccessLogFormat | None = None
        if settings.access_logging:
            self.access_log_group = log_group(
                self, "AccessLogs", f"/aws/apigateway/{settings.name_prefix}/access", settings
            )
            destination = apigw.LogGroupLogDestination(self.access_log_group)
            log_format = apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))
        return apigw.StageOptions(
            stage_name=settings.env,
            throttling_rate_limit=settings.throttle_rate_limit,
            throttling_burst_limit=settings.throttle_burst_limit,
            access_log_destination=destination,
            access_log_format=log_format,
            tracing_enabled=True,
            # Execution logs: errors only, and never request or response bodies (passwords, cards, tokens).
            logging_level=apigw.MethodLoggingLevel.ERROR if settings.access_logging else None,
            data_trace_enabled=False,
        )

    def _request_authorizer(self, function: lambda_.IFunction, settings: Settings) -> apigw.CfnAuthorizer:
        """A REQUEST authorizer without identity source: it accepts a Bearer JWT *or* an X-API-Key.

        CDK's RequestAuthorizer insists on at least one identity source, and API Gateway would then
        401 any request missing that header before the authorizer runs; hence the L1 resource. An
        authorizer without identity source cannot cache, which is what we want anyway (TTL 0).
        """
        authorizer = apigw.CfnAuthorizer(
            self,
            "RequestAuthorizer",
            rest_api_id=self.api.rest_api_id,
            name=f"{settings.name_prefix}-authorizer",
            type="REQUEST",
            authorizer_uri=(
                f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}:lambda:path/2015-03-31/functions/"
                f"{function.function_arn}/invocations"
            ),
            authorizer_result_ttl_in_seconds=settings.authorizer_cache_ttl_seconds,
        )
        # Authorizer changes only reach clients with a new deployment (CDK's L2 authorizers do the same).
        deployment = self.api.latest_deployment
        if deployment is not None:
            deployment.add_to_logical_id(
                {"authorizer": {"uri": authorizer.authorizer_uri, "ttl": authorizer.authorizer_result_ttl_in_seconds}}
            )
        function.add_permission(
            "InvokedByApiAuthorizer",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=Stack.of(self).format_arn(
                service="execute-api",
                resource=self.api.rest_api_id,
                resource_name=f"authorizers/{authorizer.ref}",
            ),
        )
        return authorizer
