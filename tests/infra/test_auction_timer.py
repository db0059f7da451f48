"""The auction timer state machine: its ASL comes from dce, it may only invoke the close function, and
only the functions whose area starts timers may start executions."""

from __future__ import annotations

import pytest

from dce.adapters.auction_timer import definition
from dce.api.routes import AREAS
from tests.infra.cfn import StateMachineDefinition, Synthesized, as_list, referenced_ids, state_machine_definition

pytestmark = pytest.mark.infra


def _definition(synthesized: Synthesized) -> StateMachineDefinition:
    return state_machine_definition(synthesized.props(synthesized.state_machine_id()))


def test_one_standard_state_machine_per_environment(each_env: Synthesized) -> None:
    (logical_id,) = each_env.of_type("AWS::StepFunctions::StateMachine")
    assert logical_id == each_env.state_machine_id()  # named dce-<env>-auction-timer
    assert each_env.props(logical_id)["StateMachineType"] == "STANDARD"  # auctions outlive Express's 5 minutes


def test_definition_is_the_one_from_dce(each_env: Synthesized) -> None:
    parsed = _definition(each_env)
    states = parsed.asl["States"]
    assert set(states) == {"WaitForEnd", "CloseAuction", "ClosedYet", "Closed"}
    assert parsed.asl["StartAt"] == "WaitForEnd"
    assert states["WaitForEnd"]["Type"] == "Wait"
    assert states["WaitForEnd"]["SecondsPath"] == "$.wait_seconds"
    assert states["CloseAuction"]["Type"] == "Task"
    assert states["ClosedYet"]["Type"] == "Choice"
    assert states["ClosedYet"]["Default"] == "WaitForEnd"  # extended by a late bid: wait again
    assert {choice["Next"] for choice in states["ClosedYet"]["Choices"]} == {"Closed"}
    assert states["Closed"]["Type"] == "Succeed"
    # Apart from the function ARN, exactly what dce.adapters.auction_timer defines (and the emulator runs).
    assert parsed.asl == definition(states["CloseAuction"]["Resource"])


def test_the_task_invokes_the_close_function(each_env: Synthesized) -> None:
    parsed = _definition(each_env)
    resource = parsed.asl["States"]["CloseAuction"]["Resource"]
    # The plain function ARN (the task gets the function's result as is), resolved by CloudFormation.
    assert parsed.referenced_by(resource) == {each_env.function_id("auction_close")}
    if resource.startswith("${"):
        assert parsed.substitutions[resource[2:-1]] == {"Fn::GetAtt": [each_env.function_id("auction_close"), "Arn"]}


# Log delivery and X-Ray: actions without resource-level permissions, hence on Resource '*'.
LOGGING_AND_TRACING_ACTIONS = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}


def test_state_machine_role_may_invoke_the_close_function_and_nothing_else(each_env: Synthesized) -> None:
    machine = each_env.state_machine_id()
    close_function = each_env.function_id("auction_close")
    statements = each_env.role_statements(machine, role_property="RoleArn")
    invoking = [s for s in statements if any(a.startswith("lambda:") for a in as_list(s["Action"]))]
    assert len(invoking) == 1
    assert as_list(invoking[0]["Action"]) == ["lambda:InvokeFunction"]
    # The function itself, not `<arn>:*` (its versions and aliases): the task calls the plain ARN.
    assert invoking[0]["Resource"] == {"Fn::GetAtt": [close_function, "Arn"]}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        if statement is not invoking[0]:
            assert set(as_list(statement["Action"])) <= LOGGING_AND_TRACING_ACTIONS
    (role_id,) = referenced_ids(each_env.props(machine)["RoleArn"])
    role = each_env.props(role_id)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in role


def test_only_timer_starting_functions_may_start_executions_on_exactly_this_machine(each_env: Synthesized) -> None:
    starters = {area.name for area in AREAS if area.starts_auction_timer}
    assert starters == {"auctions"}  # the auctions API starts one timer per auction
    machine = each_env.state_machine_id()
    for area in AREAS:
        granted = each_env.actions_with_prefix(each_env.function_id(area.name), "states:")
        if area.starts_auction_timer:
            assert granted == [("states:StartExecution", {"Ref": machine})], area.name
        else:
            assert granted == [], f"{area.name} may use Step Functions: {granted}"


def test_no_role_but_the_state_machines_may_invoke_functions(dev: Synthesized) -> None:
    """Lambda invocations come from API Gateway (resource policies) or the timer, never another function."""
    (machine_role,) = referenced_ids(dev.props(dev.state_machine_id())["RoleArn"])
    for role, statement in dev.statements():
        if any(action.startswith("lambda:") for action in as_list(statement["Action"])):
            assert role == machine_role, f"{role} may invoke Lambda functions"


def test_close_function_is_not_behind_the_api(dev: Synthesized) -> None:
    close_function = dev.function_id("auction_close")
    for logical_id, permission in dev.of_type("AWS::Lambda::Permission").items():
        assert close_function not in referenced_ids(permission["Properties"]["FunctionName"]), logical_id
    for key, method in dev.api_methods().items():
        assert close_function not in referenced_ids(method.get("Integration", {})), key


def test_state_machine_arn_is_an_output(dev: Synthesized) -> None:
    assert dev.json["Outputs"]["AuctionStateMachineArn"]["Value"] == {"Ref": dev.state_machine_id()}


def test_state_machine_logs_every_event_to_its_own_log_group_and_is_traced(each_env: Synthesized) -> None:
    props = each_env.props(each_env.state_machine_id())
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is True
    (destination,) = logging["Destinations"]
    (log_group,) = referenced_ids(destination)
    assert each_env.props(log_group)["LogGroupName"] == f"/aws/vendedlogs/states/dce-{each_env.env}-auction-timer"


def test_waiting_timers_survive_a_stack_deletion_where_data_is_kept(each_env: Synthesized) -> None:
    resource = each_env.json["Resources"][each_env.state_machine_id()]
    assert resource["DeletionPolicy"] == ("Delete" if each_env.env == "dev" else "Retain")
