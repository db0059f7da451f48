"""A minimal HTTP/1.1 keep-alive client connection on asyncio streams.

Why not httpx: on a 2-core machine shared with the server under test, the generator's own CPU time
shows up as server latency. This client does the least work possible: one pre-encoded request, one
status line, headers scanned for Content-Length or chunked transfer encoding (the local gateway sends
no Content-Length, so uvicorn chunks its answers), the body read and kept.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Request:
    """A request, encoded once when the scenario prepares it."""

    method: str
    path: str
    raw: bytes  # the whole request as sent on the wire (for a given Host)

    @classmethod
    def build(cls, host: str, method: str, path: str, body: Any = None, token: str | None = None) -> Request:
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        return cls(method, path, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive TCP connection; one request at a time (HTTP/1.1 without pipelining)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self.last_used = time.monotonic()

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, request: Request) -> Response:
        self._writer.write(request.raw)
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked, closing = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection" and value.strip().lower() == "close":
                closing = True
        if chunked:
            body = await self._read_chunks()
        else:
            body = await self._reader.readexactly(length) if length else b""
        if closing:
            self.close()
        self.last_used = time.monotonic()
        return Response(status, body)

    async def _read_chunks(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")  # no trailers from uvicorn: the final empty line
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size + 2))
            parts[-1] = parts[-1][:-2]

    @property
    def closed(self) -> bool:
        """Closed by us, or by the server (EOF already seen)."""
        return self._writer.is_closing() or self._reader.at_eof()

    def idle_for(self) -> float:
        return time.monotonic() - self.last_used

    def close(self) -> None:
        self._writer.close()
