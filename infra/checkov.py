"""checkov (a second opinion beside cdk-nag) runs on every environment's template in `make test`; a
finding that does not apply is acknowledged here, next to its resource, with the reason — the way
infra/nag.py acknowledges cdk-nag's. checkov reads `Metadata.checkov.skip` of each CloudFormation resource.
"""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct


def acknowledge(construct: IConstruct, check_id: str, reason: str) -> None:
    """Skip checkov's `check_id` (e.g. `CKV_AWS_117`) on `construct`'s CloudFormation resource, saying why."""
    if len(reason) < 40:
        raise ValueError(f"{check_id}: say why the finding is accepted, in a sentence ({reason!r})")
    if not check_id.startswith("CKV_"):
        raise ValueError(f"{check_id!r} is not a checkov check id")
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    metadata = resource.get_metadata("checkov") or {}
    skips = [skip for skip in metadata.get("skip", []) if skip["id"] != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", {"skip": skips})
