"""A watch session's `Board` -> the preview page, served on 127.0.0.1 only.

In: the board (what to show), the shelf (the preview area's PDFs and page images) and a port.
Out: a local web server, in a thread, that answers only these:

- `/`: the page (page.html): the edited part's pages and the edition's, or, when the last
  build failed, its problems with file and line instead of the pages;
- `/events`: Server-Sent Events, one `state` event whenever the board changes; the page
  reloads itself when the version differs from the one it shows;
- `/state.json`: the same state, for scripts;
- `/pages/<key>/page-<n>.png` and `/pages/<key>/<kind>.pdf`: the shelf's files, by name.

Nothing else on the disk is reachable: a URL is matched against those names, never joined to a
folder. Requests must name the server as 127.0.0.1 or localhost (a web page elsewhere cannot
read the preview through a DNS name of its own). A port that is taken is a `ServeError`, one
line for the user.
"""

from __future__ import annotations

import errno
import json
import re
import socketserver
import sys
import threading
from dataclasses import asdict
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jinja2

from .board import Board, Pages, State
from .pages import Shelf

__all__ = ["HOST", "ServeError", "Server", "page"]

HOST = "127.0.0.1"  # never 0.0.0.0: the preview is for the person at this machine
_FILE = re.compile(r"/pages/(?P<key>[0-9a-f]{8}-(?:part|edition)-[0-9]{1,6})/(?P<name>[a-z0-9.-]+)")
_PAGE = re.compile(r"page-(?P<n>[1-9][0-9]{0,4})\.png")
_KEEPALIVE = 15.0  # seconds between comments on an idle event stream
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class ServeError(Exception):
    """The preview page cannot be served (the port is taken); one line for the user."""


class Server:
    """The preview page's server, on `HOST`:`port` (0: any free port), in a thread."""

    def __init__(self, board: Board, shelf: Shelf, port: int):
        try:
            self._httpd = _HTTPServer((HOST, port), _Handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                message = f"port {port} on {HOST} is taken; choose another with --port"
            else:
                message = f"cannot serve on {HOST}:{port}: {error.strerror or error}"
            raise ServeError(message) from error
        self._httpd.board = board
        self._httpd.shelf = shelf
        self.port = self._httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.2,), name="preview-server", daemon=True
        )

    def start(self) -> Server:
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.board.close()  # event streams end
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()


def page(state: State) -> str:
    """The preview page for `state`."""
    errors = [p for p in state.problems if p.is_error]
    return _TEMPLATES.get_template("page.html").render(
        state=state,
        status=_status(state),
        errors=errors,
        files=len({p.where.path for p in errors}),
        sections=[_section(p) for p in (state.part, state.edition) if p is not None],
    )


def _status(state: State) -> str:
    if state.building:
        return "Rebuilding after a save…"
    if state.failed:
        return "The last save has errors: the pages come back once they are fixed."
    if state.edition is None:
        return "Building the edition…"
    return f"Up to date: the edition was built in {state.edition.seconds:.2f} s."


def _section(pages: Pages) -> dict[str, Any]:
    scale = 1.5 if pages.kind == "part" else 1.0
    width, height = (round(side * scale) for side in pages.size)
    base = f"/pages/{pages.key}"
    return {
        "kind": pages.kind,
        "name": pages.name,
        "count": pages.count,
        "seconds": f"{pages.seconds:.2f}",
        "path": pages.path,
        "pdf": f"{base}/{pages.kind}.pdf",
        "images": [f"{base}/page-{n}.png" for n in range(1, pages.count + 1)],
        "width": width,
        "height": height,
    }


def _public(state: State) -> dict[str, Any]:
    """The state as JSON for the page's script and for scripts."""
    data = asdict(state)
    data["failed"] = state.failed
    data["problems"] = [str(p) for p in state.problems]
    data["warnings"] = [str(p) for p in state.warnings]
    return data


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    board: Board
    shelf: Shelf

    allow_reuse_port = False  # a port another server listens on is taken, full stop

    def server_bind(self) -> None:
        # HTTPServer.server_bind also looks up the host's name, which may wait on DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that closed its connection is not an error; anything else is a bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:  # watch prints its own lines
        pass

    def _answer(self, body: bool) -> None:
        if not self._local():
            self._send(HTTPStatus.FORBIDDEN, b"forbidden\n", "text/plain", body)
            return
        path = self.path.split("?", 1)[0]
        board = self.server.board
        if path == "/":
            html = page(board.state).encode()
            self._send(HTTPStatus.OK, html, "text/html; charset=utf-8", body)
        elif path == "/state.json":
            data = json.dumps(_public(board.state), ensure_ascii=False).encode()
            self._send(HTTPStatus.OK, data, "application/json", body)
        elif path == "/events" and body:
            self._events(board)
        elif (match := _FILE.fullmatch(path)) is not None:
            self._file(match["key"], match["name"], body)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", body)

    def _local(self) -> bool:
        """The Host header names this server by its loopback address or localhost."""
        host = self.headers.get("Host", "")
        port = self.server.server_port
        return host in (f"{HOST}:{port}", f"localhost:{port}", HOST, "localhost")

    def _file(self, key: str, name: str, body: bool) -> None:
        shelf = self.server.shelf
        if (number := _PAGE.fullmatch(name)) is not None:
            found, kind = shelf.image(key, int(number["n"])), "image/png"
        elif name == f"{key.split('-')[1]}.pdf":
            found, kind = shelf.pdf(key), "application/pdf"
        else:
            found, kind = None, ""
        try:
            data = found.read_bytes() if found is not None else None
        except OSError:  # removed since: the session has moved on
            data = None
        if data is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", body)
            return
        # A key names one build's PDF for good: its files never change.
        self._send(HTTPStatus.OK, data, kind, body, cache="max-age=3600, immutable")

    def _events(self, board: Board) -> None:
        """Server-Sent Events: the state now, then whenever it changes, until either side
        stops."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        seen = -1
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not board.closed:
                tick, state = board.wait(seen, _KEEPALIVE)
                if tick == seen:
                    self.wfile.write(b": still here\n\n")  # finds a browser that went away
                else:
                    seen = tick
                    message = json.dumps({"version": state.version, "building": state.building})
                    self.wfile.write(f"event: state\ndata: {message}\n\n".encode())
                self.wfile.flush()
        except OSError:
            pass  # the browser went away, or reloaded

    def _send(
        self,
        status: HTTPStatus,
        data: bytes,
        kind: str,
        body: bool,
        cache: str = "no-store",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)
