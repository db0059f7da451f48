"""AWS Signature Version 4, checked: only the exchange's own processes may use the local `@connections` API.

On AWS, `@connections` requests must be signed by an IAM principal allowed `execute-api:ManageConnections`.
Locally, the exchange's processes (the gateway, its worker processes, anything else started with its
environment) sign with the AWS credentials in their environment, as boto3 does; the local stack gives
itself a random secret key per run (`local.emulator.run_credentials`: moto checks no signature, so it
works with any key). A request is accepted when its signature, recomputed here with botocore's own
`SigV4Auth` from the method, path, query, signed headers and the body as received, matches
(`hmac.compare_digest`), for that access key, for the `execute-api` service, dated (`X-Amz-Date`) within
`MAX_SKEW_S` of now. Any other local process — or a web page — cannot produce one without the key.
"""

from __future__ import annotations

import calendar
import hmac
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from urllib.parse import urlsplit

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

SERVICE = "execute-api"  # the signing name of apigatewaymanagementapi
MAX_SKEW_S = 300  # AWS allows 15 minutes of clock skew; here the signer runs on the same machine
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})"
)
_URL_BASE = "http://localhost"  # the URL's host is not signed (the Host header is); http: the body is hashed


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str


def environment_credentials(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials this process's boto3 signs with: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    The local stack always sets them (`python -m local`), so its worker processes sign with the same ones."""
    env = os.environ if environ is None else environ
    access_key, secret_key = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    return Credentials(access_key, secret_key) if access_key and secret_key else None


def refusal(
    method: str,
    raw_path: str,
    query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    credentials: Credentials | None,
    now: float | None = None,
) -> str | None:
    """None when the request is signed with `credentials` for `execute-api` at a time within MAX_SKEW_S of
    `now`; otherwise why not (for the log: the client only ever gets 403 Forbidden).

    `raw_path` is the path as sent (still percent-encoded: boto3 encodes the connection id, e.g. `=` as
    `%3D`, and signs that form), `query` the raw query string, `headers` every header as received."""
    if credentials is None:
        return "this process has no AWS credentials to check signatures against"
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(value)
    authorization = values.get("authorization", [])
    found = _AUTHORIZATION.fullmatch(authorization[0].strip()) if len(authorization) == 1 else None
    if found is None:
        return "no AWS4-HMAC-SHA256 Authorization header"
    scope = found["credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        return "malformed credential scope"
    access_key, day, region, service, _ = scope
    if not hmac.compare_digest(access_key.encode(), credentials.access_key.encode()):
        return "unknown access key"
    if service != SERVICE:
        return f"signed for {service!r}, not {SERVICE!r}"
    stamps = values.get("x-amz-date", [])
    signed_at = _parse_stamp(stamps[0]) if len(stamps) == 1 else None
    if signed_at is None:
        return "no valid X-Amz-Date header"
    if stamps[0][:8] != day:
        return "the credential scope's date is not the X-Amz-Date's"
    if abs((time.time() if now is None else now) - signed_at) > MAX_SKEW_S:
        return f"X-Amz-Date is more than {MAX_SKEW_S} s from now (stale or replayed)"
    signed = found["signed"].split(";")
    if signed != sorted(set(signed)) or not {"host", "x-amz-date"} <= set(signed):
        return "SignedHeaders must be sorted and include host and x-amz-date"
    missing = [name for name in signed if name not in values]
    if missing:
        return f"signed headers missing from the request: {', '.join(missing)}"
    body_hash = sha256(body).hexdigest()
    if values.get("x-amz-content-sha256", [body_hash]) != [body_hash]:
        return "X-Amz-Content-SHA256 is not the body's hash"
    request = AWSRequest(method=method.upper(), url=_URL_BASE + raw_path + (f"?{query}" if query else ""), data=body)
    for name in signed:
        for value in values[name]:
            request.headers[name] = value  # an HTTPMessage: each assignment adds a value
    request.context["timestamp"] = stamps[0]
    expected = _signature(request, Credentials(access_key, credentials.secret_key), region)
    if not hmac.compare_digest(expected.encode(), found["signature"].encode()):
        return "signature mismatch"
    return None


def sign(
    method: str,
    url: str,
    body: bytes,
    credentials: Credentials,
    region: str = "us-east-1",
    headers: Mapping[str, str] | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """The headers (Host, X-Amz-Date, Authorization and `headers`) a SigV4 client such as boto3 sends for
    this request: for clients of the local `@connections` API that are not boto3 (tests)."""
    parts = urlsplit(url)
    request = AWSRequest(method=method.upper(), url=url, data=body, headers={"Host": parts.netloc, **(headers or {})})
    stamp = time.strftime(SIGV4_TIMESTAMP, time.gmtime(time.time() if now is None else now))
    request.headers["X-Amz-Date"] = stamp
    request.context["timestamp"] = stamp
    signer = SigV4Auth(BotoCredentials(credentials.access_key, credentials.secret_key), SERVICE, region)
    signature = _signature(request, credentials, region)
    scope = f"{credentials.access_key}/{stamp[:8]}/{region}/{SERVICE}/aws4_request"
    signed = signer.signed_headers(signer.headers_to_sign(request))
    authorization = f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={signed}, Signature={signature}"
    return {**{k: str(v) for k, v in request.headers.items()}, "Authorization": authorization}


def _signature(request: AWSRequest, credentials: Credentials, region: str) -> str:
    signer = SigV4Auth(BotoCredentials(credentials.access_key, credentials.secret_key), SERVICE, region)
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


def _parse_stamp(stamp: str) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(stamp, SIGV4_TIMESTAMP)))
    except ValueError:
        return None
