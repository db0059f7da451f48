"""Alarms, their (encrypted) SNS topic, and one dashboard per environment; thresholds from `Settings.alarms`.

Alarms (each over 5-minute periods, missing data = not breaching, alarm and OK notified to the topic):
- API: 5xx share of requests (only in periods with enough requests), p99 latency, API Gateway throttling
  (a metric filter on the access logs counting `errorType = THROTTLED`; the per-caller 429s of the
  functions are not throttling and are not counted);
- Lambda: errors and throttles of each function; each stream consumer's iterator age (the events function,
  the automatic bids);
- Step Functions: auction timer executions failed, timed out or aborted (an auction that never closes);
- DynamoDB: read + write throttle events of each table;
- events, automatic bids: stream batches that kept failing (the consumer's failure queue is not empty).

Business metrics come from the functions (Powertools EMF, no IAM needed): namespace
`POWERTOOLS_METRICS_NAMESPACE` = `Settings.metrics_namespace`, single dimension `service=dce`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.api import THROTTLED_ERROR_TYPE
from infra.constructs.data import pascal_case
from infra.constructs.functions import SERVICE_NAME
from infra.constructs.stream_consumer import StreamConsumer
from infra.constructs.work_queue import WorkQueue
from infra.settings import Settings

PERIOD = Duration.minutes(5)
# The business metrics the functions publish (Count; RevenueCents in integer cents).
BUSINESS_METRICS = ("CallsCreated", "BidsPlaced", "AuctionsClosed", "CallsBilled", "RevenueCents")
API_THROTTLED_METRIC = "ApiThrottled"  # from the REST access logs, in the environment's metric namespace
ALARM_EMAIL_CONTEXT = "alarm_email"  # `-c alarm_email=ops@example.com` subscribes an address to the topic


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        rest_stage: apigw.Stage,
        access_log_group: logs.ILogGroup | None,
        functions: Mapping[str, lambda_.Function],
        stream_consumer: lambda_.Function,
        state_machine: sfn.StateMachine,
        tables: Mapping[str, dynamodb.Table],
        websocket_api: apigwv2.WebSocketApi,
        websocket_stage: apigwv2.WebSocketStage,
        failed_batches: sqs.Queue,
        stream_consumers: Sequence[StreamConsumer] = (),
        work_queues: Sequence[WorkQueue] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self._settings = settings
        self._prefix = settings.name_prefix
        thresholds = settings.alarms
        self.topic = self._topic(settings)
        self.alarms: list[cloudwatch.Alarm] = []

        # --- API ---------------------------------------------------------------------------------
        requests = rest_stage.metric_count(period=PERIOD, statistic="Sum")
        server_errors = rest_stage.metric_server_error(period=PERIOD, statistic="Sum")
        error_rate = cloudwatch.MathExpression(
            expression=f"IF(requests >= {thresholds.api_min_requests}, 100 * errors / requests, 0)",
            using_metrics={"requests": requests, "errors": server_errors},
            period=PERIOD,
            label="5xx % of requests",
        )
        self._alarm(
            "Api5xxRate",
            "api-5xx-rate",
            error_rate,
            thresholds.api_5xx_percent,
            f"More than {thresholds.api_5xx_percent} % of API requests answered 5xx in 5 minutes "
            f"(periods with at least {thresholds.api_min_requests} requests).",
        )
        latency_p99 = rest_stage.metric_latency(period=PERIOD, statistic="p99")
        self._alarm(
            "ApiLatencyP99",
            "api-latency-p99",
            latency_p99,
            thresholds.api_p99_latency_ms,
            f"API p99 latency above {thresholds.api_p99_latency_ms} ms for {thresholds.latency_periods} periods.",
            evaluation_periods=thresholds.latency_periods,
        )
        throttled: cloudwatch.IMetric | None = None
        if access_log_group is not None:
            metric_filter = logs.MetricFilter(
                self,
                "ApiThrottledFilter",
                log_group=access_log_group,
                filter_pattern=logs.FilterPattern.string_value("$.errorType", "=", THROTTLED_ERROR_TYPE),
                metric_namespace=settings.metrics_namespace,
                metric_name=API_THROTTLED_METRIC,
                metric_value="1",
            )
            throttled = metric_filter.metric(period=PERIOD, statistic="Sum")
            self._alarm(
                "ApiThrottled",
                "api-throttled",
                throttled,
                thresholds.throttles,
                "API Gateway refused requests over the stage throttling limits (429 THROTTLED).",
            )

        # --- Lambda ------------------------------------------------------------------------------
        for area, function in functions.items():
            name = pascal_case(area)
            self._alarm(
                f"{name}Errors",
                f"lambda-{area}-errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                thresholds.lambda_errors,
                f"The {area} function failed (unhandled errors, timeouts) more than {thresholds.lambda_errors} times.",
            )
            self._alarm(
                f"{name}Throttles",
                f"lambda-{area}-throttles",
                function.metric_throttles(period=PERIOD, statistic="Sum"),
                thresholds.throttles,
                f"Invocations of the {area} function were throttled (account or reserved concurrency).",
            )
        iterator_age = stream_consumer.metric(
            "IteratorAge", period=PERIOD, statistic="Maximum", unit=cloudwatch.Unit.MILLISECONDS
        )
        self._alarm(
            "StreamIteratorAge",
            "events-stream-lag",
            iterator_age,
            thresholds.stream_iterator_age_seconds * 1000,
            f"Real-time events lag the table streams by more than {thresholds.stream_iterator_age_seconds} s.",
        )
        self._alarm(
            "FailedStreamBatches",
            "events-failed-batches",
            failed_batches.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            0,
            "Stream batches kept failing and were given up (see the failure queue): events were not delivered.",
        )
        iterator_ages, failure_queues = [iterator_age], {"events": failed_batches}
        for consumer in stream_consumers:
            name, area = pascal_case(consumer.area.name), consumer.area.name
            age = consumer.function.metric(
                "IteratorAge", period=PERIOD, statistic="Maximum", unit=cloudwatch.Unit.MILLISECONDS, label=area
            )
            self._alarm(
                f"{name}StreamIteratorAge",
                f"{area}-stream-lag",
                age,
                thresholds.stream_iterator_age_seconds * 1000,
                f"The {area} function lags the table streams by more than {thresholds.stream_iterator_age_seconds} s.",
            )
            self._alarm(
                f"{name}FailedStreamBatches",
                f"{area}-failed-batches",
                consumer.failed_batches.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                ),
                0,
                f"Stream batches of the {area} function kept failing and were given up (see its failure queue).",
            )
            iterator_ages.append(age)
            failure_queues[area] = consumer.failed_batches
        for work in work_queues:
            self._work_queue_alarms(work, thresholds.stream_iterator_age_seconds)
            failure_queues[f"{work.area.name} (dead letters)"] = work.dead_letters

        # --- Step Functions ----------------------------------------------------------------------
        timer_failures = cloudwatch.MathExpression(
            expression="failed + timedOut + aborted",
            using_metrics={
                "failed": state_machine.metric_failed(period=PERIOD, statistic="Sum"),
                "timedOut": state_machine.metric_timed_out(period=PERIOD, statistic="Sum"),
                "aborted": state_machine.metric_aborted(period=PERIOD, statistic="Sum"),
            },
            period=PERIOD,
            label="failed + timed out + aborted",
        )
        self._alarm(
            "AuctionTimerFailures",
            "auction-timer-failures",
            timer_failures,
            thresholds.state_machine_failures,
            "Auction timer executions failed, timed out or were aborted: those auctions may never close.",
        )

        # --- DynamoDB ----------------------------------------------------------------------------
        table_throttles: list[cloudwatch.IMetric] = []
        for table_name, table in tables.items():
            # Ids unique across the dashboard graph that shows every table's expression together.
            reads, writes = f"reads{pascal_case(table_name)}", f"writes{pascal_case(table_name)}"
            throttle_events = cloudwatch.MathExpression(
                expression=f"{reads} + {writes}",
                using_metrics={
                    reads: table.metric("ReadThrottleEvents", period=PERIOD, statistic="Sum"),
                    writes: table.metric("WriteThrottleEvents", period=PERIOD, statistic="Sum"),
                },
                period=PERIOD,
                label=table_name,
            )
            table_throttles.append(throttle_events)
            self._alarm(
                f"{pascal_case(table_name)}TableThrottles",
                f"dynamodb-{table_name}-throttles",
                throttle_events,
                thresholds.throttles,
                f"DynamoDB throttled reads or writes of the {table_name} table (hot partition or account limit).",
            )

        self.dashboard = self._dashboard(
            requests=requests,
            server_errors=server_errors,
            client_errors=rest_stage.metric_client_error(period=PERIOD, statistic="Sum"),
            error_rate=error_rate,
            latency_p99=latency_p99,
            rest_stage=rest_stage,
            throttled=throttled,
            functions=functions,
            iterator_ages=iterator_ages,
            state_machine=state_machine,
            table_throttles=table_throttles,
            websocket_api=websocket_api,
            websocket_stage=websocket_stage,
            failure_queues=failure_queues,
        )

    def _work_queue_alarms(self, work: WorkQueue, max_age_seconds: int) -> None:
        """A work queue whose messages wait too long (its consumer is behind) or that dead-letters any."""
        name, queue = pascal_case(work.spec.name), work.spec.name
        self._alarm(
            f"{name}QueueAge",
            f"{queue}-queue-age",
            work.queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
            max_age_seconds,
            f"Messages of the {queue} queue wait more than {max_age_seconds} s: its {work.area.name} function is "
            "behind (throttled, failing, or too few in flight).",
        )
        self._alarm(
            f"{name}DeadLetters",
            f"{queue}-dead-letters",
            work.dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            0,
            f"Messages of the {queue} queue kept failing and were dead-lettered (see its dead-letter queue).",
        )

    def business_metric(self, name: str, period: Duration = PERIOD) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=self._settings.metrics_namespace,
            metric_name=name,
            dimensions_map={"service": SERVICE_NAME},
            statistic="Sum",
            period=period,
        )

    def _topic(self, settings: Settings) -> sns.Topic:
        # SNS's AWS-managed key cannot be used by CloudWatch alarms (its key policy can't name CloudWatch):
        # a key of our own, rotated yearly, usable by CloudWatch to publish and by nobody else but the account.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            alias=f"alias/{settings.name_prefix}-alarms",
            description=f"Encrypts the alarm notifications of {settings.name_prefix}",
            enable_key_rotation=True,
            removal_policy=settings.removal_policy,
            pending_window=Duration.days(7 if settings.removal_policy == RemovalPolicy.DESTROY else 30),
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, `*` is this key
            )
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{settings.name_prefix}-alarms",
            display_name=f"DCE {settings.env} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        email = self.node.try_get_context(ALARM_EMAIL_CONTEXT)
        if email:
            topic.add_subscription(subscriptions.EmailSubscription(str(email)))
        return topic

    def _alarm(
        self,
        construct_id: str,
        name: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        *,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=f"{self._prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    def _dashboard(
        self,
        *,
        requests: cloudwatch.IMetric,
        server_errors: cloudwatch.IMetric,
        client_errors: cloudwatch.IMetric,
        error_rate: cloudwatch.IMetric,
        latency_p99: cloudwatch.IMetric,
        rest_stage: apigw.Stage,
        throttled: cloudwatch.IMetric | None,
        functions: Mapping[str, lambda_.Function],
        iterator_ages: Sequence[cloudwatch.IMetric],
        state_machine: sfn.StateMachine,
        table_throttles: Sequence[cloudwatch.IMetric],
        websocket_api: apigwv2.WebSocketApi,
        websocket_stage: apigwv2.WebSocketStage,
        failure_queues: Mapping[str, sqs.Queue],
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self._prefix)

        def by_function(label: str, metric_of: str, statistic: str = "Sum") -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(
                title=f"Lambda {label}",
                left=[fn.metric(metric_of, period=PERIOD, statistic=statistic, label=a) for a, fn in functions.items()],
                width=6,
            )

        business = [self.business_metric(name) for name in BUSINESS_METRICS if name != "RevenueCents"]
        revenue = self.business_metric("RevenueCents", Duration.hours(1))
        websocket_metrics = [
            cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name=name,
                dimensions_map={"ApiId": websocket_api.api_id, "Stage": websocket_stage.stage_name},
                statistic="Sum",
                period=PERIOD,
                label=name,
            )
            for name in ("ConnectCount", "MessageCount", "ClientError", "IntegrationError")
        ]
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24, height=4),
        )
        dashboard.add_widgets(
            cloudwatch.TextWidget(markdown="## Business (Powertools metrics, service=dce)", width=24, height=1),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Calls, bids, auctions (per 5 min)", left=business, width=12),
            cloudwatch.GraphWidget(
                title="Revenue billed (cents per hour)", left=[revenue], width=6, view=cloudwatch.GraphWidgetView.BAR
            ),
            cloudwatch.SingleValueWidget(
                title="Totals over the selected range",
                metrics=[*business, revenue],
                set_period_to_time_range=True,
                width=6,
            ),
        )
        dashboard.add_widgets(cloudwatch.TextWidget(markdown="## REST API", width=24, height=1))
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Requests", left=[requests], width=6),
            cloudwatch.GraphWidget(title="Errors", left=[client_errors, server_errors], right=[error_rate], width=6),
            cloudwatch.GraphWidget(
                title="Latency (ms)",
                left=[rest_stage.metric_latency(period=PERIOD, statistic=statistic) for statistic in ("p50", "p90")]
                + [latency_p99, rest_stage.metric_integration_latency(period=PERIOD, statistic="p99")],
                width=6,
            ),
            cloudwatch.GraphWidget(title="Throttled by API Gateway", left=[throttled] if throttled else [], width=6),
        )
        dashboard.add_widgets(cloudwatch.TextWidget(markdown="## Lambda", width=24, height=1))
        dashboard.add_widgets(
            by_function("invocations", "Invocations"),
            by_function("errors", "Errors"),
            by_function("throttles", "Throttles"),
            by_function("duration p99 (ms)", "Duration", "p99"),
        )
        dashboard.add_widgets(cloudwatch.TextWidget(markdown="## Auction timer and events", width=24, height=1))
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Auction timer executions",
                left=[
                    state_machine.metric_started(period=PERIOD, statistic="Sum"),
                    state_machine.metric_succeeded(period=PERIOD, statistic="Sum"),
                    state_machine.metric_failed(period=PERIOD, statistic="Sum"),
                    state_machine.metric_timed_out(period=PERIOD, statistic="Sum"),
                    state_machine.metric_aborted(period=PERIOD, statistic="Sum"),
                ],
                width=6,
            ),
            cloudwatch.GraphWidget(title="WebSocket", left=websocket_metrics, width=6),
            cloudwatch.GraphWidget(title="Stream lag (ms)", left=list(iterator_ages), width=6),
            cloudwatch.GraphWidget(
                title="Failed stream batches",
                left=[
                    queue.metric_approximate_number_of_messages_visible(period=PERIOD, label=consumer)
                    for consumer, queue in failure_queues.items()
                ],
                width=6,
            ),
        )
        dashboard.add_widgets(cloudwatch.TextWidget(markdown="## DynamoDB", width=24, height=1))
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Throttle events per table", left=list(table_throttles), width=24),
        )
        return dashboard
