"""The studio's HTTP server: the standard library's ThreadingHTTPServer, one thread a request.

Routes (each needs ``?token=``, else 403):

- ``GET /`` the page; ``GET /api/state`` the state as JSON; ``GET /api/events`` the same
  state pushed as Server-Sent Events whenever it changes; ``GET /api/neuron?layer=&index=``
  a neuron's Value graph as SVG, with its numbers;
- ``POST /api/control`` ``{"action": ...}``, ``POST /api/config`` settings, ``POST /api/points``.

A bad request gets a JSON ``{"error": ...}`` with status 400 and changes nothing. Stopping
wakes every event stream, closes the socket and joins every request thread.
"""

from __future__ import annotations

import hmac
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from autograd.draw import GraphvizNotFoundError

from .settings import SettingsError
from .trainer import Trainer

HOST = "127.0.0.1"
MAX_BODY = 1_000_000  # bytes of a POST body
DRAIN_LIMIT = 16_000_000  # a larger body is not read at all before answering 400
KEEPALIVE = 15.0  # seconds between comments on an idle event stream
SOCKET_TIMEOUT = 10.0  # no client can hold a request thread longer than this when silent


class Broadcast:
    """The latest state as JSON, numbered, with a way to wait for a newer one."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._version = 0
        self._payload = b"{}"
        self.closed = False

    def publish(self, state: dict[str, Any]) -> None:
        payload = json.dumps(state, separators=(",", ":"), allow_nan=False).encode()
        with self._changed:
            self._version += 1
            self._payload = payload
            self._changed.notify_all()

    def newer(self, version: int, timeout: float) -> tuple[int, bytes] | None:
        """The state after ``version``, or None when ``timeout`` passes first or on close."""
        with self._changed:
            self._changed.wait_for(lambda: self._version > version or self.closed, timeout)
            if self.closed or self._version <= version:
                return None
            return self._version, self._payload

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


class BadRequest(Exception):
    """Answered with a JSON error and this status."""

    def __init__(self, message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(message)
        self.status = status


class StudioServer(ThreadingHTTPServer):
    """Bound to 127.0.0.1 only, one thread a request. The threads are daemons, so that a
    program that ends without ``stop()`` is not kept alive by an open tab; ``join_requests``
    waits for them."""

    daemon_threads = True

    def __init__(self, port: int, trainer: Trainer, token: str) -> None:
        super().__init__((HOST, port), StudioHandler)
        self.trainer = trainer
        self.token = token
        self.broadcast = Broadcast()
        self.page = _page()
        self._requests: set[threading.Thread] = set()
        self._requests_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        # Registered here, in the accept loop, so that once shutdown() has returned every
        # request thread there will ever be is in the set.
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        with self._requests_lock:
            self._requests.add(thread)
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._requests_lock:
                self._requests.discard(threading.current_thread())

    def join_requests(self, timeout: float) -> None:
        """Wait for every request thread to end (each waits at most ``timeout`` seconds)."""
        with self._requests_lock:
            running = list(self._requests)
        for thread in running:
            thread.join(timeout)


class StudioHandler(BaseHTTPRequestHandler):
    server: StudioServer
    server_version = "chainrule-studio"
    timeout = SOCKET_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the URL and errors only."""

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        try:
            self._check_token(query)
            if method == "GET" and url.path == "/api/events":
                self._stream_events()
                return
            status, content_type, body = self._route(method, url.path, query)
        except BadRequest as error:
            status, content_type, body = error.status, "application/json", _error(str(error))
        except SettingsError as error:
            status, content_type, body = HTTPStatus.BAD_REQUEST, "application/json", _error(
                str(error)
            )
        except GraphvizNotFoundError as error:
            status, content_type = HTTPStatus.SERVICE_UNAVAILABLE, "application/json"
            body = _error(str(error))
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception as error:  # a bug must not take the studio down: say what happened
            status, content_type = HTTPStatus.INTERNAL_SERVER_ERROR, "application/json"
            body = _error(f"the studio failed: {type(error).__name__}: {error}")
        self._send(status, content_type, body)

    def _check_token(self, query: dict[str, list[str]]) -> None:
        given = query.get("token", [""])[0]
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            raise BadRequest(
                "this studio needs its token: open the URL it printed, which ends in "
                "?token=...",
                HTTPStatus.FORBIDDEN,
            )

    def _route(
        self, method: str, path: str, query: dict[str, list[str]]
    ) -> tuple[HTTPStatus, str, bytes]:
        trainer = self.server.trainer
        gets = {"/", "/api/state", "/api/neuron"}
        posts = {"/api/control", "/api/config", "/api/points"}
        if path not in gets | posts | {"/api/events"}:
            raise BadRequest(f"no such page: {path}", HTTPStatus.NOT_FOUND)
        wanted = "GET" if path in gets | {"/api/events"} else "POST"
        if method != wanted:
            raise BadRequest(f"{path} takes {wanted}, not {method}", HTTPStatus.METHOD_NOT_ALLOWED)
        if path == "/":
            return HTTPStatus.OK, "text/html; charset=utf-8", self.server.page
        if path == "/api/state":
            with trainer.exclusive():
                state = trainer.state()
            return HTTPStatus.OK, "application/json", _json(state)
        if path == "/api/neuron":
            with trainer.exclusive():
                drawing, facts = trainer.neuron(
                    query.get("layer", [None])[0], query.get("index", [None])[0]
                )
            # Graphviz lays it out outside the lock: training goes on meanwhile.
            facts["svg"] = drawing.pipe(format="svg").decode()
            return HTTPStatus.OK, "application/json", _json(facts)
        body = self._json_body()
        with trainer.exclusive():
            if path == "/api/control":
                if not isinstance(body, dict) or set(body) != {"action"}:
                    raise BadRequest('send {"action": "play" | "pause" | "step" | "reset"}')
                trainer.control(body["action"])
            elif path == "/api/config":
                trainer.configure(body)
            else:
                trainer.change_points(body)
            state = trainer.state()
        return HTTPStatus.OK, "application/json", _json(state)

    def _json_body(self) -> Any:
        if self.headers.get("Transfer-Encoding"):
            raise BadRequest("send the body with a Content-Length, not chunked")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise BadRequest("a POST needs a Content-Length header and a JSON body")
        try:
            length = int(length_text)
        except ValueError:
            raise BadRequest(f"Content-Length is not a number: {length_text!r}") from None
        if length < 0:
            raise BadRequest(f"Content-Length is negative: {length}")
        if length > MAX_BODY:
            self._discard(length)
            raise BadRequest(f"the body is {length:,} bytes; the limit is {MAX_BODY:,}")
        raw = self.rfile.read(length)
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
            raise BadRequest(f"the body is not valid JSON: {error}") from None

    def _discard(self, length: int) -> None:
        """Read an oversized body away (up to a limit), so the client sees the 400 rather than
        a reset connection; past the limit, close after answering."""
        self.close_connection = True
        if length > DRAIN_LIMIT:
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                break
            length -= len(chunk)

    def _stream_events(self) -> None:
        broadcast = self.server.broadcast
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        version = 0  # a newcomer gets the latest state at once
        try:
            while not broadcast.closed:
                newer = broadcast.newer(version, KEEPALIVE)
                if newer is None:
                    if broadcast.closed:
                        break
                    self.wfile.write(b": still here\n\n")
                else:
                    version, payload = newer
                    self.wfile.write(b"event: state\ndata: " + payload + b"\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the tab was closed: training goes on

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            if content_type.startswith("text/html"):
                # Nothing from elsewhere: the page is self-contained.
                self.send_header(
                    "Content-Security-Policy",
                    "default-src 'self'; script-src 'unsafe-inline'; "
                    "style-src 'unsafe-inline'; img-src 'self' data:",
                )
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


def _page() -> bytes:
    """The page with its style and script inlined: one response, nothing else to fetch."""
    folder = resources.files("nn.studio")
    html = folder.joinpath("studio.html").read_text(encoding="utf-8")
    css = folder.joinpath("studio.css").read_text(encoding="utf-8")
    js = folder.joinpath("studio.js").read_text(encoding="utf-8")
    return html.replace("/*STYLE*/", css).replace("/*SCRIPT*/", js).encode()
