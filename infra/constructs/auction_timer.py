"""The auction timer: a Step Functions state machine whose ASL is `dce.adapters.auction_timer.definition()`.

One Standard execution per auction: Wait until it ends → invoke the close function → wait again if a late
bid extended it. The function ARN is not baked into the ASL: the definition keeps its
`${CloseAuctionFunctionArn}` placeholder and CloudFormation substitutes it (DefinitionSubstitutions).
"""

from __future__ import annotations

import json

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from dce.adapters.auction_timer import CLOSE_FUNCTION_PLACEHOLDER, definition
from infra.constructs.log_groups import log_group
from infra.nag import acknowledge
from infra.settings import Settings

STATE_MACHINE_ENV_VAR = "DCE_AUCTION_STATE_MACHINE_ARN"  # read by dce.config as auction_state_machine_arn
CLOSE_FUNCTION_SUBSTITUTION = CLOSE_FUNCTION_PLACEHOLDER.removeprefix("${").removesuffix("}")


class AuctionTimer(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, close_function: lambda_.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"{settings.name_prefix}-auction-timer"
        # `/aws/vendedlogs/` keeps the account's CloudWatch Logs resource policy small (AWS's advice).
        self.log_group = log_group(self, "Logs", f"/aws/vendedlogs/states/{name}", settings)
        # Standard, not Express: an auction can run for days, and a timer must fire exactly once.
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(json.dumps(definition())),
            definition_substitutions={CLOSE_FUNCTION_SUBSTITUTION: close_function.function_arn},
            # Waiting executions are auctions still to close: keep them wherever data is kept.
            removal_policy=settings.removal_policy,
            # Every state transition, with its (small, personal-data-free) input: {auction_id, wait_seconds}.
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            tracing_enabled=True,
        )
        # The close function's own ARN, not `<arn>:*` as grant_invoke adds: the task never calls a version.
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[close_function.function_arn])
        )
        acknowledge(
            self.state_machine.role,
            "IAM5",
            "Step Functions' log delivery (logs:CreateLogDelivery, PutResourcePolicy, ...) and X-Ray "
            "(xray:PutTraceSegments, GetSamplingRules, ...) actions support no resource-level permissions.",
            finding="Resource::*",
        )

    def allow_start(self, function: lambda_.Function) -> None:
        """Let `function` start timer executions (on this state machine only) and tell it the ARN."""
        function.add_environment(STATE_MACHINE_ENV_VAR, self.state_machine.state_machine_arn)
        self.state_machine.grant_start_execution(function)
