"""Real-time events: the WebSocket API and the fan-out that feeds it.

- WebSocket API with one stage (named after the environment): `$connect` (the ws function checks the
  `?token=` access token and refuses the handshake without a valid one), `$disconnect`, and `$default`
  (ping, subscribe; the function's reply is the route response).
- The events function reads the streams of the source tables (`dce.adapters.stream_records.STREAM_SOURCES`)
  through DynamoDB event sources, records each domain event and posts it to `@connections`. It may manage
  the connections of this API's stage only (`POST @connections/*`), and learns the endpoint from
  `DCE_WS_ENDPOINT`. Batches that keep failing are reported to a queue.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_apigatewayv2_integrations import WebSocketLambdaIntegration
from constructs import Construct

from dce.adapters.stream_records import STREAM_SOURCES
from dce.adapters.tables import Table
from infra.constructs.data import DataTables
from infra.settings import Settings

WS_AREA = "ws"  # the area whose function serves the WebSocket routes
EVENTS_AREA = "events"  # the area whose function consumes the streams and fans out
WS_ENDPOINT_ENV_VAR = "DCE_WS_ENDPOINT"  # read by dce.config as ws_endpoint
STREAM_BATCH_SIZE = 100
STREAM_RETRY_ATTEMPTS = 3  # then bisected batches give up and are reported to the failure queue


class WebSocketEvents(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        ws_function: lambda_.IFunction,
        events_function: lambda_.Function,
        tables: DataTables,
        stream_sources: Sequence[Table] = STREAM_SOURCES,
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
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=settings.env,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=settings.throttle_rate_limit, burst_limit=settings.throttle_burst_limit
            ),
        )
        self.failed_batches = sqs.Queue(
            self,
            "FailedBatches",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            removal_policy=settings.removal_policy,
        )
        for spec in stream_sources:
            events_function.add_event_source(
                sources.DynamoEventSource(
                    tables.table(spec),
                    starting_position=lambda_.StartingPosition.LATEST,
                    batch_size=STREAM_BATCH_SIZE,
                    bisect_batch_on_error=True,
                    retry_attempts=STREAM_RETRY_ATTEMPTS,
                    report_batch_item_failures=True,  # the function names the first failed record
                    on_failure=sources.SqsDlq(self.failed_batches),
                )
            )
        events_function.add_environment(WS_ENDPOINT_ENV_VAR, self.stage.callback_url)
        events_function.add_to_role_policy(
            iam.PolicyStatement(actions=["execute-api:ManageConnections"], resources=[self.post_to_connections_arn])
        )

    @property
    def post_to_connections_arn(self) -> str:
        """`POST @connections/*` on this API's stage: what `post_to_connection` needs, and nothing more."""
        return Stack.of(self).format_arn(
            service="execute-api",
            resource=self.api.api_id,
            resource_name=f"{self.stage.stage_name}/POST/@connections/*",
        )
