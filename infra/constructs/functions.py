"""One Lambda function per area of `dce.api.routes.AREAS`, sharing one layer, with least-privilege grants."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from dce.adapters.tables import Table
from dce.api.routes import AREAS, ROUTES, Access, Area
from infra import checkov
from infra.constructs.data import DataTables, pascal_case
from infra.constructs.keys import KEY_READ_ACTIONS, KEY_WRITE_ACTIONS, data_key
from infra.constructs.log_groups import log_group
from infra.nag import acknowledge
from infra.paths import function_dir
from infra.settings import Settings

AUTHORIZER_AREA = "authorizer"  # the area whose function is the API's Lambda authorizer, not a route target
AUCTION_CLOSE_AREA = "auction_close"  # the auction timer's Step Functions task, not a route target either
ROUTED_AREAS = frozenset(route.area for route in ROUTES)  # the areas API Gateway integrates with
ENTRY_POINT = "lambda_handler"  # every function: functions/<area.code_folder>/<area.module>.py
RUNTIME = lambda_.Runtime.PYTHON_3_12
# x86_64 because the layer holds x86_64 wheels (see infra/layer.py).
ARCHITECTURE = lambda_.Architecture.X86_64
SERVICE_NAME = "dce"  # POWERTOOLS_SERVICE_NAME: the `service` dimension of every business metric
JWT_SECRET_ARN_ENV_VAR = "DCE_JWT_SECRET_ARN"  # noqa: S105 (the name of a variable holding an ARN)
# What a function may do to a table's items (and its indexes'). Like CDK's grant_read_data and
# grant_read_write_data, minus the stream actions those add (streams are read by the events source only).
READ_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
WRITE_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem")


def uses_jwt_secret(area: Area) -> bool:
    """Whether the area's function reads the JWT signing key (`Area.uses_jwt_secret`, True where unset)."""
    return bool(getattr(area, "uses_jwt_secret", True))


def handler_for(area: Area) -> str:
    """The Lambda handler string: `<module>.lambda_handler`, the module living in `functions/<code_folder>`."""
    return f"{area.module}.{ENTRY_POINT}"


class AreaFunctions(Construct):
    """The functions, by area name: `authorizer` is the Lambda authorizer, `auction_close` the auction
    timer's task, and the areas named in ROUTES serve the API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        tables: DataTables,
        jwt_secret: secretsmanager.ISecret,
        layer_code: lambda_.Code,
    ) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self,
            "SharedLayer",
            code=layer_code,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="dce package and its runtime dependencies",
            removal_policy=settings.removal_policy,
        )
        self._environment = {
            "DCE_ENV": settings.env,
            "DCE_TABLE_PREFIX": settings.table_prefix,
            "DCE_SIGNUP_CREDIT": settings.signup_credit,
            "DCE_BIDS_PER_HOUR": str(settings.bids_per_hour),
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": settings.metrics_namespace,
            "POWERTOOLS_LOG_LEVEL": settings.log_level,
        }
        self.by_area: dict[str, lambda_.Function] = {}
        for area in AREAS:
            function = self._function(area, settings)
            self._grant(function, area, tables)
            if uses_jwt_secret(area):
                # Only the ARN: the function fetches the key from Secrets Manager at cold start.
                function.add_environment(JWT_SECRET_ARN_ENV_VAR, jwt_secret.secret_arn)
                jwt_secret.grant_read(function)
            self.by_area[area.name] = function

    @property
    def authorizer(self) -> lambda_.Function:
        return self.by_area[AUTHORIZER_AREA]

    @property
    def auction_close(self) -> lambda_.Function:
        return self.by_area[AUCTION_CLOSE_AREA]

    @property
    def route_handlers(self) -> dict[str, lambda_.Function]:
        """The functions behind API Gateway: only areas that ROUTES names (not the authorizer or timer task)."""
        return {name: fn for name, fn in self.by_area.items() if name in ROUTED_AREAS}

    @property
    def auction_timer_starters(self) -> list[lambda_.Function]:
        """The functions whose area starts auction timers (`starts_auction_timer`)."""
        return [self.by_area[area.name] for area in AREAS if area.starts_auction_timer]

    @property
    def connection_closers(self) -> list[lambda_.Function]:
        """The functions whose area closes WebSocket connections itself (`closes_connections`: a suspension)."""
        return [self.by_area[area.name] for area in AREAS if getattr(area, "closes_connections", False)]

    def _function(self, area: Area, settings: Settings) -> lambda_.Function:
        source = function_dir(area.code_folder)
        module = source / f"{area.module}.py"
        if not module.is_file():
            raise FileNotFoundError(f"AREAS lists {area.name!r} but {module} does not exist")
        name = f"{settings.name_prefix}-{area.name}"
        construct_name = pascal_case(area.name)
        # Our own log group (not Lambda's implicit one) so retention and removal follow the settings.
        # Encrypted with the environment's data key (infra/constructs/keys.py).
        logs_of_function = log_group(self, f"{construct_name}Logs", f"/aws/lambda/{name}", settings)
        # A role of our own instead of CDK's default with AWSLambdaBasicExecutionRole (logs:* on every
        # log group of the account): this function may write its own log group and nothing else.
        role = iam.Role(
            self,
            f"{construct_name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{name}: its log group, X-Ray, and the tables and actions AREAS declares",
        )
        logs_of_function.grant_write(role)
        function = lambda_.Function(
            self,
            construct_name,
            function_name=name,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler_for(area),
            code=lambda_.Code.from_asset(str(source), exclude=["__pycache__", "*.pyc"]),
            layers=[self.layer],
            memory_size=settings.memory_size_mb,
            timeout=Duration.seconds(settings.timeout_seconds),
            environment=dict(self._environment),
            log_group=logs_of_function,
            role=role,
            tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=reserved_concurrency(settings, area),
        )
        self._acknowledge_checkov(function, settings)
        acknowledge(
            function,
            "L1",
            "Python 3.12 on purpose: the project and its layer (cp312 manylinux wheels, infra/layer.py) "
            "target 3.12; moving to a newer runtime is a deliberate upgrade of both, not a synth default.",
        )
        acknowledge(
            role,
            "IAM5",
            "X-Ray's PutTraceSegments and PutTelemetryRecords (added by tracing ACTIVE) support no "
            "resource-level permissions: Resource '*' is the only possible value for them.",
            finding="Resource::*",
        )
        return function

    @staticmethod
    def _acknowledge_checkov(function: lambda_.Function, settings: Settings) -> None:
        if settings.reserved_concurrency is None:
            checkov.acknowledge(
                function,
                "CKV_AWS_115",
                f"No reserved concurrency in {settings.env}: it runs in accounts with the default quota (10 in a "
                "new account) where any reservation fails the deploy; prod reserves per function (infra/settings.py).",
            )
        checkov.acknowledge(
            function,
            "CKV_AWS_116",
            "A dead-letter queue only receives failed asynchronous invocations, and nothing invokes this function "
            "asynchronously: API Gateway and Step Functions wait for its answer, and the stream event source has "
            "its own on-failure queue (FailedBatches).",
        )
        checkov.acknowledge(
            function,
            "CKV_AWS_117",
            "Outside a VPC on purpose: it reaches only AWS APIs (DynamoDB, Secrets Manager, KMS, API Gateway, "
            "Step Functions, X-Ray), authenticated by its role over TLS; a VPC would add NAT or endpoints and "
            "network paths to secure without protecting any resource of ours.",
        )
        checkov.acknowledge(
            function,
            "CKV_AWS_173",
            "Its environment holds no secret (names, settings and the JWT secret's ARN, never the key), and Lambda "
            "encrypts environment variables at rest with its service key anyway.",
        )

    @staticmethod
    def _grant(function: lambda_.Function, area: Area, tables: DataTables) -> None:
        """Exactly the access AREAS declares, on the table and each of its GSIs by name (TABLES knows
        them): no `<table>/index/*` wildcard as CDK's grant_*_data would write."""
        for spec, access in area.tables:
            iam.Grant.add_to_principal(
                grantee=function, actions=list(table_actions(access)), resource_arns=table_arns(tables, spec)
            )
        if area.tables:  # the tables are encrypted with the data key: using them means using it
            writes = any(access == "write" for _, access in area.tables)
            iam.Grant.add_to_principal(
                grantee=function,
                actions=list(KEY_READ_ACTIONS + KEY_WRITE_ACTIONS if writes else KEY_READ_ACTIONS),
                resource_arns=[data_key(function).key_arn],
            )


def reserved_concurrency(settings: Settings, area: Area) -> int | None:
    """The area's reserved concurrency in this environment (None = none); a setting must name every area."""
    if settings.reserved_concurrency is None:
        return None
    if area.name not in settings.reserved_concurrency:
        raise ValueError(f"{settings.env}: reserved_concurrency names no value for the {area.name!r} function")
    return settings.reserved_concurrency[area.name]


def table_actions(access: Access) -> tuple[str, ...]:
    return READ_ACTIONS + WRITE_ACTIONS if access == "write" else READ_ACTIONS


def table_arns(tables: DataTables, spec: Table) -> list[str]:
    """The table's ARN and one ARN per global secondary index of its TABLES entry."""
    arn = tables.table(spec).table_arn
    return [arn, *(f"{arn}/index/{index.name}" for index in spec.indexes)]
