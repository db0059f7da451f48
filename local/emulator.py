"""The embedded AWS emulation: a moto server on 127.0.0.1 with our tables, and the bootstrap admin."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from dce.adapters.tables import TABLES

LOOPBACK = "127.0.0.1"
# moto checks no signature: any credentials work with it. The secret key is replaced per run
# (`run_credentials`): the local `@connections` API trusts requests signed with it (local/sigv4.py).
EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
SECRET_KEY_ENV = "DCE_EMULATOR_SECRET_KEY"  # noqa: S105 (a variable's name) the run's key, if its starter must know it


def run_credentials(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """EMULATOR_CREDENTIALS with this run's own secret key: DCE_EMULATOR_SECRET_KEY when set (the
    launcher sets it, so that its tests can sign `@connections` requests), else a random one. Only the
    processes started with this environment know it; the well-known "testing" signs nothing here."""
    env = os.environ if environ is None else environ
    secret = env.get(SECRET_KEY_ENV) or secrets.token_urlsafe(32)
    return {**EMULATOR_CREDENTIALS, "AWS_SECRET_ACCESS_KEY": secret}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Emulator:
    """A running moto server (or nothing, when AWS_ENDPOINT_URL points elsewhere)."""

    endpoint: str
    server: Any = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def start_moto(port: int | None = None) -> Emulator:
    """Start moto on loopback and point this process's boto3 at it, with this run's credentials
    (`run_credentials`: a dummy access key, a per-run secret key)."""
    from local.moto_patches import (
        cache_moto_dispatch,
        honour_transaction_tokens,
        keep_streams_across_rollbacks,
        serialise_dynamodb_item_operations,
        serialise_item_responses_directly,
    )
    from local.moto_server import KeepAliveMotoServer

    serialise_dynamodb_item_operations()
    keep_streams_across_rollbacks()
    honour_transaction_tokens()
    cache_moto_dispatch()
    serialise_item_responses_directly()
    port = port or free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per emulated AWS call
    server = KeepAliveMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    endpoint = f"http://{LOOPBACK}:{port}"
    os.environ.update(run_credentials())
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["MOTO_PORT"] = str(port)  # moto's Step Functions calls Lambda here
    return Emulator(endpoint=endpoint, server=server)


def create_tables(prefix: str) -> list[str]:
    """Create every table in TABLES that does not exist yet; returns the names created."""
    client = boto3.client("dynamodb")
    existing = set(client.list_tables().get("TableNames", []))
    created = []
    for table in TABLES:
        kwargs = table.create_table_kwargs(prefix)
        if kwargs["TableName"] in existing:
            continue
        client.create_table(**kwargs)
        if table.ttl_attribute:
            client.update_time_to_live(
                TableName=kwargs["TableName"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
        created.append(kwargs["TableName"])
    return created


def function_name(prefix: str, area: str) -> str:
    return f"{prefix}-{area}"


def deploy_auction_timer(prefix: str) -> str:
    """Create the close-auction Lambda and the auction timer state machine in moto (from the same
    ASL as CDK), wired to run our real close handler in this process. Returns the state machine ARN."""
    import io
    import json
    import zipfile

    from dce.adapters.auction_timer import definition
    from dce.api.routes import AREAS
    from local.lambda_runtime import invoke
    from local.moto_patches import run_lambdas_in_process

    ours = {function_name(prefix, area.name): area.name for area in AREAS}
    run_lambdas_in_process(lambda name: (lambda event: invoke(ours[name], event)) if name in ours else None)

    iam = boto3.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    role_name = f"{prefix}-local-role"
    try:
        role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("close.py", "# the local stack runs functions/auctions/close.py in-process\n")
    lambda_client = boto3.client("lambda")
    close_name = function_name(prefix, "auction_close")
    try:
        close_arn = lambda_client.get_function(FunctionName=close_name)["Configuration"]["FunctionArn"]
    except lambda_client.exceptions.ResourceNotFoundException:
        close_arn = lambda_client.create_function(
            FunctionName=close_name,
            Runtime="python3.12",
            Role=role_arn,
            Handler="close.lambda_handler",
            Code={"ZipFile": archive.getvalue()},
        )["FunctionArn"]
    sfn = boto3.client("stepfunctions")
    machine_name = f"{prefix}-auction-timer"
    for machine in sfn.list_state_machines()["stateMachines"]:
        if machine["name"] == machine_name:
            return str(machine["stateMachineArn"])
    created = sfn.create_state_machine(
        name=machine_name, definition=json.dumps(definition(close_arn)), roleArn=role_arn
    )
    return str(created["stateMachineArn"])
