"""Two ways to reach a `Simulator`: a real HTTP server on loopback, and an in-process transport.

Both call `Simulator.handle()`, so they answer alike; they differ only where the network does:
a slow response really waits (the server sleeps; in-process, a delay past the request's read
timeout raises `httpx2.ReadTimeout`), and a reset really resets the TCP connection (in-process:
`httpx2.ReadError`).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import anyio
import httpx2

from .app import SimRequest, Simulator


class SimulatorTransport(httpx2.AsyncBaseTransport):
    """Sends an httpx2 client's requests straight to the simulator, with no socket."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        sim_request = SimRequest(request.method, unquote(path), query, dict(request.headers.items()), body)
        response = self.simulator.handle(sim_request)
        if response.reset:
            raise httpx2.ReadError("[Errno 104] Connection reset by peer", request=request)
        if response.delay:
            read_timeout = (request.extensions.get("timeout") or {}).get("read")
            if read_timeout is not None and response.delay > read_timeout:
                await anyio.sleep(read_timeout)
                raise httpx2.ReadTimeout("The read operation timed out", request=request)
            await anyio.sleep(response.delay)
        return httpx2.Response(response.status, headers=response.headers, content=response.body, request=request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    disable_nagle_algorithm = True  # else small answers wait ~40 ms for a delayed ACK
    server_version = "TastyTradeSimulator/1.0"
    sys_version = ""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = SimRequest(self.command, unquote(path), query, dict(self.headers.items()), body)
        response = self.server.simulator.handle(request)
        if response.reset:
            # Close with SO_LINGER 0: the kernel sends RST, as a dropped connection looks to the client.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if response.delay:
            time.sleep(response.delay)
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            # Headers and body in one write: one segment for small answers.
            self._headers_buffer.append(b"\r\n" + response.body)
            self.flush_headers()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. it timed out waiting for a slow response).
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class SimulatorServer:
    """The simulator on a loopback port (0 picks a free one), served from a background thread."""

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> None:
        self.simulator = simulator
        self._server = _Server((host, port), _Handler)
        self._server.simulator = simulator
        self._server.verbose = verbose
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = self._server.server_address[0]
        return f"http://{host}:{self.port}"

    def start(self) -> SimulatorServer:
        # A short poll interval makes stop() quick (tests start and stop many servers).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="tastytrade-simulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the management command)."""
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
