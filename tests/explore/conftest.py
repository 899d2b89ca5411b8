"""A running explore server on a free port, stopped after the tests that use it."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

import pytest

from invariant.explore import make_server


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, Any, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        head = {"Host": f"127.0.0.1:{self.port}"}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            head["Content-Type"] = "application/json"
        head.update(headers or {})
        conn.request(method, path, body=data, headers=head)
        response = conn.getresponse()
        payload = response.read()
        kind = response.getheader("Content-Type", "")
        conn.close()
        return response.status, json.loads(payload) if kind.startswith("application/json") else payload, dict(response.getheaders())

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        status, data, _ = self.request("POST", path, body)
        return status, data


def start(**kwargs: Any):
    server = make_server(**kwargs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def stop(server, thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def serve():
    """serve(**make_server kwargs) -> Client; every server started is stopped at teardown."""
    running = []

    def _serve(**kwargs: Any) -> Client:
        server, thread = start(**kwargs)
        running.append((server, thread))
        return Client(server.server_address[1])

    yield _serve
    for server, thread in running:
        stop(server, thread)
