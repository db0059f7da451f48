"""One Lambda function per area of `dce.api.routes.AREAS`, sharing one layer, with least-privilege grants."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from dce.api.routes import AREAS, ROUTES, Area
from infra.constructs.data import DataTables, pascal_case
from infra.paths import function_dir
from infra.settings import Settings

AUTHORIZER_AREA = "authorizer"  # the area whose function is the API's Lambda authorizer, not a route target
AUCTION_CLOSE_AREA = "auction_close"  # the auction timer's Step Functions task, not a route target either
ROUTED_AREAS = frozenset(route.area for route in ROUTES)  # the areas API Gateway integrates with
ENTRY_POINT = "lambda_handler"  # every function: functions/<area.code_folder>/<area.module>.py
RUNTIME = lambda_.Runtime.PYTHON_3_12
# x86_64 because the layer holds x86_64 wheels (see infra/layer.py).
ARCHITECTURE = lambda_.Architecture.X86_64
SERVICE_NAME = "dce"


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
            # Only the ARN: the functions fetch the key from Secrets Manager at cold start.
            "DCE_JWT_SECRET_ARN": jwt_secret.secret_arn,
            "DCE_SIGNUP_CREDIT": settings.signup_credit,
            "DCE_BIDS_PER_HOUR": str(settings.bids_per_hour),
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_LOG_LEVEL": settings.log_level,
        }
        self.by_area: dict[str, lambda_.Function] = {}
        for area in AREAS:
            function = self._function(area, settings)
            self._grant(function, area, tables)
            # Every function's cold start loads the key (dce.bootstrap builds all services), even auction_close.
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

    def _function(self, area: Area, settings: Settings) -> lambda_.Function:
        source = function_dir(area.code_folder)
        module = source / f"{area.module}.py"
        if not module.is_file():
            raise FileNotFoundError(f"AREAS lists {area.name!r} but {module} does not exist")
        name = f"{settings.name_prefix}-{area.name}"
        construct_name = pascal_case(area.name)
        # Our own log group (not Lambda's implicit one) so retention and removal follow the settings.
        log_group = logs.LogGroup(
            self,
            f"{construct_name}Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=settings.log_retention,
            removal_policy=settings.removal_policy,
        )
        return lambda_.Function(
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
            log_group=log_group,
        )

    @staticmethod
    def _grant(function: lambda_.Function, area: Area, tables: DataTables) -> None:
        """Exactly the access AREAS declares; CDK's grants cover the tables' GSIs (`<table>/index/*`)."""
        for spec, access in area.tables:
            table = tables.table(spec)
            if access == "write":
                table.grant_read_write_data(function)
            else:
                table.grant_read_data(function)
