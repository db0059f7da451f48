"""cdk-nag's AwsSolutions checks on every synth, and the one way this app acknowledges a finding.

cdk-nag 3 is a CDK policy-validation plugin: a synth with an unacknowledged finding (error *or* warning)
fails with a report in `<cdk.out>/validation-report.json`. Acknowledgments use CDK's own
`Validations.of(construct).acknowledge(...)` (cdk-nag 2's `NagSuppressions` is gone): always on the
narrowest construct, always with the specific finding (`AwsSolutions-IAM5[Resource::...]`) where a rule
reports several, and always with a reason saying why the finding does not apply or is accepted.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions"


def apply_checks(app: App) -> None:
    """Run the AwsSolutions rules on every stack of `app` when it synthesizes."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(construct: IConstruct, rule: str, reason: str, *, finding: str | None = None) -> None:
    """Accept `AwsSolutions-<rule>` (its `[finding]` only, if given) on `construct` and its children."""
    if len(reason) < 40:
        raise ValueError(f"{rule}: say why the finding is accepted, in a sentence ({reason!r})")
    rule_id = f"{PACK}-{rule}" + (f"[{finding}]" if finding else "")
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{PACK}::{rule_id}", reason=reason))


def rendered(scope: IConstruct, value: str) -> str:
    """`value` (an ARN with tokens, say) as cdk-nag writes it in a finding, resolved in `scope`'s stack now.

    How a token resolves depends on the stack's environment: with `CDK_DEFAULT_REGION` set (the CDK CLI
    always sets it) `Aws.REGION` and the partition become literals, without it they stay `Ref`s. A finding
    written by hand for one of the two stops matching in the other; this renders whichever it is."""
    stack = Stack.of(scope)
    return _render(stack.resolve(value))


def _render(node: Any) -> str:
    """cdk-nag's rendering of a resolved value: `Ref` → `<Name>`, `Fn::GetAtt` → `<Name.Attr>`, joins inline."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and len(node) == 1:
        ((function, argument),) = node.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(_render(part) for part in parts)
    raise ValueError(f"cannot render {node!r} as a cdk-nag finding")


def arn_of(construct: IConstruct) -> str:
    """How cdk-nag renders `Fn::GetAtt [<resource>, Arn]` in a finding: `<LogicalId.Arn>`."""
    return f"<{logical_id(construct)}.Arn>"


def logical_id(construct: IConstruct) -> str:
    """The logical ID of an L2 construct's CloudFormation resource (or of an L1 itself), resolved now."""
    element = construct if isinstance(construct, CfnElement) else construct.node.default_child
    if not isinstance(element, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    stack = Stack.of(element)
    resolved = stack.resolve(stack.get_logical_id(element))
    assert isinstance(resolved, str)
    return resolved
