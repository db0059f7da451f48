"""Reading a synthesized CloudFormation template: resources by type, references, API paths, IAM."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

Resource = dict[str, Any]

DYNAMODB_WRITE_ACTIONS = frozenset(
    f"dynamodb:{action}"
    for action in (
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "PartiQLInsert",
        "PartiQLUpdate",
        "PartiQLDelete",
        "*",
    )
)


def referenced_ids(value: Any) -> set[str]:
    """Logical IDs a template value points at through `Ref` or `Fn::GetAtt`, however deeply nested."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            found.add(value["Ref"])
        if isinstance(value.get("Fn::GetAtt"), list):
            found.add(value["Fn::GetAtt"][0])
        for item in value.values():
            found |= referenced_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= referenced_ids(item)
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def only_streams(resource: Any) -> bool:
    """Whether every resource of a statement is a table's stream (`Fn::GetAtt [<table>, StreamArn]`)."""
    return all(
        isinstance(r, dict) and r.get("Fn::GetAtt", [None, None])[1:] == ["StreamArn"] for r in as_list(resource)
    )


_SUBSTITUTION = re.compile(r"^\$\{([A-Za-z0-9_]+)\}$")
_REFERENCE_MARKER = re.compile(r"^<<refs:([A-Za-z0-9,]*)>>$")


def _render_definition(value: Any) -> str:
    """A DefinitionString as text: a literal, or an `Fn::Join` whose token parts (references CDK put
    inside JSON string literals) become `<<refs:LogicalId,...>>` markers."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        rendered = [
            part if isinstance(part, str) else f"<<refs:{','.join(sorted(referenced_ids(part)))}>>" for part in parts
        ]
        return str(separator).join(rendered)
    raise AssertionError(f"unexpected DefinitionString: {value!r}")


@dataclass(frozen=True)
class StateMachineDefinition:
    """A state machine's ASL, parsed, with CloudFormation's DefinitionSubstitutions beside it."""

    asl: dict[str, Any]
    substitutions: dict[str, Any]

    def referenced_by(self, value: str) -> set[str]:
        """Logical IDs an ASL string stands for: `${Name}` substituted by CloudFormation, or a joined token."""
        if match := _SUBSTITUTION.match(value):
            assert match.group(1) in self.substitutions, f"{value} has no DefinitionSubstitutions entry"
            return referenced_ids(self.substitutions[match.group(1)])
        if match := _REFERENCE_MARKER.match(value):
            return set(filter(None, match.group(1).split(",")))
        return set()


def state_machine_definition(props: dict[str, Any]) -> StateMachineDefinition:
    assert "DefinitionS3Location" not in props and "Definition" not in props, "expected an inline DefinitionString"
    asl = json.loads(_render_definition(props["DefinitionString"]))
    assert isinstance(asl, dict)
    return StateMachineDefinition(asl, dict(props.get("DefinitionSubstitutions", {})))


@dataclass
class Synthesized:
    env: str
    template: Template
    json: dict[str, Any] = field(repr=False)
    template_path: Path | None = None  # the template in the cloud assembly (cdk.out)
    validation_failure: str | None = None  # the policy validation (cdk-nag) error of the synth, if any

    def of_type(self, resource_type: str) -> dict[str, Resource]:
        return {key: r for key, r in self.json["Resources"].items() if r["Type"] == resource_type}

    def props(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.json["Resources"][logical_id].get("Properties", {})
        return properties

    def _one(self, resource_type: str, prop: str, value: str) -> str:
        matches = [key for key, r in self.of_type(resource_type).items() if r["Properties"].get(prop) == value]
        assert len(matches) == 1, f"expected one {resource_type} with {prop}={value!r}, found {matches}"
        return matches[0]

    def function_id(self, area: str) -> str:
        return self._one("AWS::Lambda::Function", "FunctionName", f"dce-{self.env}-{area}")

    def table_id(self, name: str) -> str:
        return self._one("AWS::DynamoDB::Table", "TableName", f"dce-{self.env}-{name}")

    @property
    def data_key_id(self) -> str:
        """The environment's customer-managed key for data at rest (the only key with that alias)."""
        (alias,) = (
            props["Properties"]
            for props in self.of_type("AWS::KMS::Alias").values()
            if props["Properties"]["AliasName"] == f"alias/dce-{self.env}-data"
        )
        (logical_id,) = referenced_ids(alias["TargetKeyId"])
        return logical_id

    def state_machine_id(self) -> str:
        return self._one("AWS::StepFunctions::StateMachine", "StateMachineName", f"dce-{self.env}-auction-timer")

    def statements(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every IAM policy statement, with the logical ID of the role(s) it is attached to."""
        for policy in self.of_type("AWS::IAM::Policy").values():
            roles = referenced_ids(policy["Properties"].get("Roles", []))
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                for role in roles:
                    yield role, statement

    def role_statements(self, logical_id: str, role_property: str = "Role") -> list[dict[str, Any]]:
        """The IAM statements of a resource's role (a function's `Role`, a state machine's `RoleArn`)."""
        role = referenced_ids(self.props(logical_id)[role_property])
        assert len(role) == 1, f"{logical_id}.{role_property} should name one role, found {role}"
        return [statement for owner, statement in self.statements() if owner in role]

    def actions_with_prefix(self, logical_id: str, prefix: str, role_property: str = "Role") -> list[tuple[str, Any]]:
        """(action, resource) pairs of the role's Allow statements whose action starts with `prefix`."""
        found: list[tuple[str, Any]] = []
        for statement in self.role_statements(logical_id, role_property):
            if statement["Effect"] == "Allow":
                found += [(a, statement["Resource"]) for a in as_list(statement["Action"]) if a.startswith(prefix)]
        return found

    def dynamodb_actions_by_table(self, function_logical_id: str) -> dict[str, set[str]]:
        """Table logical ID → DynamoDB actions the function's role allows on it (or its indexes)."""
        tables = set(self.of_type("AWS::DynamoDB::Table"))
        granted: dict[str, set[str]] = {}
        for statement in self.role_statements(function_logical_id):
            actions = {a for a in as_list(statement["Action"]) if a.startswith("dynamodb:")}
            if statement["Effect"] != "Allow" or not actions or only_streams(statement["Resource"]):
                continue  # reading a table's stream (an event source) is not access to its items
            for table in referenced_ids(statement["Resource"]) & tables:
                granted.setdefault(table, set()).update(actions)
        return granted

    def api_resource_paths(self) -> dict[str, str]:
        """API Gateway resource logical ID → full path (`/api/v1/...`)."""
        resources = self.of_type("AWS::ApiGateway::Resource")
        paths: dict[str, str] = {}

        def path_of(logical_id: str) -> str:
            if logical_id not in paths:
                props = resources[logical_id]["Properties"]
                parent = props["ParentId"]
                parent_path = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
                paths[logical_id] = f"{parent_path}/{props['PathPart']}"
            return paths[logical_id]

        for logical_id in resources:
            path_of(logical_id)
        return paths

    def api_methods(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(HTTP method, full path) → the method's properties."""
        paths = self.api_resource_paths()
        methods: dict[tuple[str, str], dict[str, Any]] = {}
        for method in self.of_type("AWS::ApiGateway::Method").values():
            props = method["Properties"]
            resource = props["ResourceId"]
            path = paths[resource["Ref"]] if "Ref" in resource else "/"
            methods[(props["HttpMethod"], path)] = props
        return methods
