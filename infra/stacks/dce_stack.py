"""The whole of one environment: tables, JWT key, functions, auction timer, API, WebSocket events, and
their alarms and dashboard. Composition only."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from dce.api.routes import API_PREFIX, AREAS
from infra.constructs.api import RestApiFromRoutes
from infra.constructs.auction_timer import AuctionTimer
from infra.constructs.data import DataTables, pascal_case
from infra.constructs.functions import AreaFunctions
from infra.constructs.keys import DataKey
from infra.constructs.observability import Observability
from infra.constructs.secrets import JwtSigningKey
from infra.constructs.stream_consumer import StreamConsumer
from infra.constructs.websocket import EVENTS_AREA, PUSHES_AREA, WS_AREA, WebSocketEvents
from infra.constructs.work_queue import WorkQueue
from infra.settings import Settings


class DceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        layer_code: lambda_.Code,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Dependable Call Exchange ({settings.env})",
            termination_protection=settings.env == "prod",
            **kwargs,
        )
        Tags.of(self).add("project", "dependable-call-exchange")
        Tags.of(self).add("environment", settings.env)

        self.data_key = DataKey(self, settings=settings).key  # first: everything below encrypts with it
        self.tables = DataTables(self, "Data", settings=settings)
        self.jwt_key = JwtSigningKey(self, "JwtSigningKey", settings=settings)
        self.functions = AreaFunctions(
            self,
            "Functions",
            settings=settings,
            tables=self.tables,
            jwt_secret=self.jwt_key.secret,
            layer_code=layer_code,
        )
        # No dependency cycle: the timer invokes the close function, while the functions that start
        # timers (the auctions API) are other functions.
        self.auction_timer = AuctionTimer(
            self, "AuctionTimer", settings=settings, close_function=self.functions.auction_close
        )
        for function in self.functions.auction_timer_starters:
            self.auction_timer.allow_start(function)
        self.api = RestApiFromRoutes(
            self,
            "Api",
            settings=settings,
            handlers=self.functions.route_handlers,
            authorizer_function=self.functions.authorizer,
        )

        self.websocket = WebSocketEvents(
            self,
            "WebSocket",
            settings=settings,
            ws_function=self.functions.by_area[WS_AREA],
            events_function=self.functions.by_area[EVENTS_AREA],
            push_function=self.functions.by_area[PUSHES_AREA],
            tables=self.tables,
            closers=self.functions.connection_closers,
        )
        # The other stream consumers (the automatic bids): each its own mappings, filter and failure queue.
        self.stream_consumers = [
            StreamConsumer(
                self,
                f"{pascal_case(area.name)}Consumer",
                settings=settings,
                area=area,
                function=self.functions.by_area[area.name],
                tables=self.tables,
            )
            for area in AREAS
            if area.streams and area.name != EVENTS_AREA
        ]

        # The work queues (the push queue): each with its consumer's event source and its senders' grants.
        self.work_queues = [
            WorkQueue(
                self,
                f"{pascal_case(area.queue.name)}Queue",
                settings=settings,
                spec=area.queue,
                consumer_area=area,
                consumer=self.functions.by_area[area.name],
                senders=[self.functions.by_area[a.name] for a in AREAS if area.queue in a.sends_to],
            )
            for area in AREAS
            if area.queue is not None
        ]

        self.observability = Observability(
            self,
            "Observability",
            settings=settings,
            rest_stage=self.api.api.deployment_stage,
            access_log_group=self.api.access_log_group,
            functions=self.functions.by_area,
            stream_consumer=self.functions.by_area[EVENTS_AREA],
            state_machine=self.auction_timer.state_machine,
            tables=self.tables.all,
            websocket_api=self.websocket.api,
            websocket_stage=self.websocket.stage,
            failed_batches=self.websocket.failed_batches,
            stream_consumers=self.stream_consumers,
            work_queues=self.work_queues,
        )

        CfnOutput(self, "ApiUrl", value=self.api.api.url + API_PREFIX.lstrip("/"), description="API base URL")
        CfnOutput(self, "WebSocketUrl", value=self.websocket.stage.url, description="WebSocket events: ?token=<jwt>")
        for name, table in self.tables.all.items():
            CfnOutput(self, f"{pascal_case(name)}TableName", value=table.table_name)
        CfnOutput(self, "JwtSecretArn", value=self.jwt_key.secret.secret_arn)
        CfnOutput(self, "DataKeyArn", value=self.data_key.key_arn, description="KMS key of the data at rest")
        CfnOutput(
            self,
            "AuctionStateMachineArn",
            value=self.auction_timer.state_machine.state_machine_arn,
            description="Auction timer (Step Functions)",
        )
        CfnOutput(self, "AlarmTopicArn", value=self.observability.topic.topic_arn, description="Alarm notifications")
        CfnOutput(self, "DashboardName", value=self.observability.dashboard.dashboard_name)
