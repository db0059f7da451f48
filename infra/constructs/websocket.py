"""Real-time events: the WebSocket API and the fan-out that feeds it.

- WebSocket API with one stage (named after the environment): `$connect` (the ws function checks the
  `?token=` access token and refuses the handshake without a valid one), `$disconnect`, and `$default`
  (ping, subscribe; the function's reply is the route response).
- The events function reads the streams of the source tables (`dce.adapters.stream_records.STREAM_SOURCES`)
  through DynamoDB event sources, records each domain event and queues its frames, per account, on the push
  queue (`infra.constructs.work_queue`). Batches that keep failing are reported to a queue.
- The push function takes the push queue's batches and posts them to `@connections`. It may manage the
  connections of this API's stage only (`POST @connections/*` to push, `DELETE @connections/*` to close a
  connection whose access token has expired), and learns the endpoint from `DCE_WS_ENDPOINT`.
- The functions whose area `closes_connections` (accounts: a suspension closes the account's connections
  itself) may only `DELETE @connections/*` of this stage, and learn the endpoint the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_apigatewayv2_integrations import WebSocketLambdaIntegration
from constructs import Construct

from dce.adapters.stream_records import STREAM_SOURCES
from dce.adapters.tables import Table
from infra.constructs.data import DataTables
from infra.constructs.keys import data_key
from infra.constructs.log_groups import log_group
from infra.nag import acknowledge, rendered
from infra.settings import Settings

WS_AREA = "ws"  # the area whose function serves the WebSocket routes
EVENTS_AREA = "events"  # the area whose function consumes the streams and addresses the events
PUSHES_AREA = "pushes"  # the area whose function posts the queued frames to @connections
WS_ENDPOINT_ENV_VAR = "DCE_WS_ENDPOINT"  # read by dce.config as ws_endpoint
STREAM_BATCH_SIZE = 100
STREAM_RETRY_ATTEMPTS = 3  # then bisected batches give up and are reported to the failure queue
# One JSON object per WebSocket event ($connect, messages, $disconnect); never the `?token=` query string.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "connectionId": "$context.connectionId",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "integrationLatency": "$context.integrationLatency",
    "errorType": "$context.error.responseType",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """apigwv2's access log settings are an interface, not a struct: this is its one implementation here."""

    def __init__(self, destination: apigwv2.IAccessLogDestination, log_format: apigw.AccessLogFormat) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat | None:
        return self._format


# The @connections calls the push function makes, and why (dce.adapters.connections_api).
MANAGE_CONNECTIONS = {"POST": "push events to its clients", "DELETE": "close connections whose token expired"}


class WebSocketEvents(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        ws_function: lambda_.IFunction,
        events_function: lambda_.Function,
        push_function: lambda_.Function,
        tables: DataTables,
        stream_sources: Sequence[Table] = STREAM_SOURCES,
        closers: Sequence[lambda_.Function] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        integration = WebSocketLambdaIntegration("WsFunction", ws_function)
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            api_name=f"{settings.name_prefix}-events",
            description="Dependable Call Exchange real-time events (contract: WebSocket events)",
            connect_route_options=apigwv2.WebSocketRouteOptions(integration=integration),
            disconnect_route_options=apigwv2.WebSocketRouteOptions(integration=integration),
            default_route_options=apigwv2.WebSocketRouteOptions(integration=integration, return_response=True),
        )
        # $connect authenticates itself (the ws function checks ?token= and refuses the handshake).
        acknowledge(
            self.api,
            "APIG4",
            "The WebSocket routes have no API Gateway authorizer on purpose: $connect's function verifies the "
            "?token= access JWT itself and refuses the handshake (401); $default and $disconnect only ever "
            "run on a connection that passed it (docs/decisions.md, Events).",
        )
        self.access_log_group: logs.LogGroup | None = None
        access_log_settings: _AccessLogSettings | None = None
        if settings.access_logging:
            self.access_log_group = log_group(
                self, "AccessLogs", f"/aws/apigateway/{settings.name_prefix}-events/access", settings
            )
            access_log_settings = _AccessLogSettings(
                apigwv2.LogGroupLogDestination(self.access_log_group),
                apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            )
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=settings.env,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=settings.throttle_rate_limit, burst_limit=settings.throttle_burst_limit
            ),
            access_log_settings=access_log_settings,
        )
        self.failed_batches = failed_batches_queue(self, settings, "stream event sources")
        for spec in stream_sources:
            events_function.add_event_source(
                sources.DynamoEventSource(
                    tables.table(spec),
                    starting_position=lambda_.StartingPosition.LATEST,
                    batch_size=STREAM_BATCH_SIZE,
                    # Batches of one shard fanned out side by side (order per item holds): one account's burst
                    # of events holds back fewer of the others' (prod: 4, within the events reservation).
                    parallelization_factor=settings.stream_parallelization.get("events", 1),
                    bisect_batch_on_error=True,
                    retry_attempts=STREAM_RETRY_ATTEMPTS,
                    report_batch_item_failures=True,  # the function names the first failed record
                    on_failure=sources.SqsDlq(self.failed_batches),
                )
            )
        for closer in closers:
            self._allow_closing(closer)
        push_function.add_environment(WS_ENDPOINT_ENV_VAR, self.stage.callback_url)
        push_function.add_to_role_policy(
            iam.PolicyStatement(actions=["execute-api:ManageConnections"], resources=self.manage_connections_arns)
        )
        push_role = push_function.role
        assert push_role is not None
        for (method, purpose), arn in zip(MANAGE_CONNECTIONS.items(), self.manage_connections_arns, strict=True):
            acknowledge(
                push_role,
                "IAM5",
                f"Connection ids are only known at run time: {method} on @connections/* of this API's own stage is "
                f"the narrowest grant that lets the push function {purpose} (no GET, nothing on other stages).",
                finding=f"Resource::{rendered(self, arn)}",
            )
        acknowledge(
            push_role,
            "IAM5",
            "X-Ray's PutTraceSegments/PutTelemetryRecords have no resource-level permissions: Resource '*' is "
            "required.",
            finding="Resource::*",
        )
        role = events_function.role
        assert role is not None
        acknowledge(
            role,
            "IAM5",
            "dynamodb:ListStreams (needed by the stream event source mappings) has no resource-level "
            "permissions, and X-Ray's PutTraceSegments/PutTelemetryRecords neither: Resource '*' is required.",
            finding="Resource::*",
        )
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
            acknowledge(
                role,
                "IAM5",
                f"{action} comes from CDK's grant to send to the KMS-encrypted FailedBatches queue (SqsDlq): it is "
                "scoped to the one data key of this environment, and the queue cannot be written without it.",
                finding=f"Action::{action}",
            )

    def _allow_closing(self, function: lambda_.Function) -> None:
        """`DELETE @connections/*` on this stage and nothing else: close connections, never push to them."""
        function.add_environment(WS_ENDPOINT_ENV_VAR, self.stage.callback_url)
        delete_arn = self.manage_connections_arns[list(MANAGE_CONNECTIONS).index("DELETE")]
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["execute-api:ManageConnections"], resources=[delete_arn])
        )
        role = function.role
        assert role is not None
        acknowledge(
            role,
            "IAM5",
            "Connection ids are only known at run time: DELETE on @connections/* of this API's own stage is the "
            "narrowest grant that lets a suspension close the account's open connections (no POST, no GET).",
            finding=f"Resource::{rendered(self, delete_arn)}",
        )

    @property
    def manage_connections_arns(self) -> list[str]:
        """`POST` and `DELETE @connections/*` on this API's stage: what `post_to_connection` and
        `delete_connection` need, and nothing more."""
        return [
            Stack.of(self).format_arn(
                service="execute-api",
                resource=self.api.api_id,
                resource_name=f"{self.stage.stage_name}/{method}/@connections/*",
            )
            for method in MANAGE_CONNECTIONS
        ]


def failed_batches_queue(scope: Construct, settings: Settings, sources_name: str) -> sqs.Queue:
    """The on-failure destination of a function's stream event sources (`FailedBatches` under `scope`): the
    position of batches that kept failing, kept 14 days, encrypted with the data key, TLS only."""
    queue = sqs.Queue(
        scope,
        "FailedBatches",
        retention_period=Duration.days(14),
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=data_key(scope),
        enforce_ssl=True,
        removal_policy=settings.removal_policy,
    )
    acknowledge(
        queue,
        "SQS3",
        f"This queue is itself the on-failure destination of the {sources_name} (it receives the position of "
        "batches that kept failing, kept 14 days); a dead-letter queue of it has no sender.",
    )
    return queue
