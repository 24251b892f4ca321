"""A small client for the studio's JSON API and its event stream, for the studio's tests."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit


def endpoint(studio: Any, path: str, token: bool = True, extra: str = "") -> str:
    token_part = urlsplit(studio.url).query if token else ""
    return f"http://127.0.0.1:{studio.port}{path}?{token_part}{extra}"


def request(
    studio: Any, path: str, body: Any = None, *, raw: bytes | None = None, token: bool = True,
    extra: str = "",
) -> tuple[int, dict]:
    """(status, JSON reply) of a GET (no body) or a POST."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    method = "GET" if data is None else "POST"
    call = urllib.request.Request(endpoint(studio, path, token, extra), data=data, method=method)
    try:
        with urllib.request.urlopen(call, timeout=30) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def state(studio: Any) -> dict:
    status, reply = request(studio, "/api/state")
    assert status == 200, reply
    return reply


def control(studio: Any, action: str) -> dict:
    status, reply = request(studio, "/api/control", {"action": action})
    assert status == 200, reply
    return reply


def wait_for(predicate, timeout: float = 20.0, every: float = 0.05):
    """Poll until `predicate()` returns something true; return it (or fail after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s")
        time.sleep(every)


class EventStream:
    """One open GET /api/events, read event by event (as a tab's EventSource would)."""

    def __init__(self, studio: Any) -> None:
        self.sock = socket.create_connection(("127.0.0.1", studio.port), timeout=20)
        query = urlsplit(studio.url).query
        self.sock.sendall(f"GET /api/events?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        self.buffer = b""
        head = self._until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200"), head
        assert b"text/event-stream" in head

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the stream")
            self.buffer += chunk
        part, self.buffer = self.buffer.split(marker, 1)
        return part

    def next_state(self) -> dict:
        while True:
            block = self._until(b"\n\n")
            if block.startswith(b"event: state\ndata: "):
                return json.loads(block.split(b"data: ", 1)[1])

    def closed_by_server(self, timeout: float = 5.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()
