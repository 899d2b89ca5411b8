"""The local web server of ``invariant explore``: the standard library's ThreadingHTTPServer, one static
page from the package, and a small JSON API.

Security: it binds 127.0.0.1 only; every request must carry a Host header naming this server
(localhost, 127.0.0.1 or [::1] with its port), which defeats DNS rebinding; a request carrying an
Origin or Referer from any other origin is refused; POST bodies are size-limited; the page is served
with a Content-Security-Policy that allows nothing from other origins. Files are read only through
``ImageSet`` (the folders named on the command line, listed at start).
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..core.serialization import ConfigError
from ..domains.task import MODALITIES, PROPERTIES
from .images import MAX_UPLOAD_BYTES, ImageSet
from .render import MAX_IMAGES, MAX_SAMPLES, TASK_PRESETS, SampleCache, build_steps, check_report, export, import_yaml, render, task_from
from .schema import transform_schemas

MAX_JSON_BYTES = 4 * 1024 * 1024
STATIC = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", "text/javascript; charset=utf-8"), "/app.css": ("app.css", "text/css; charset=utf-8")}
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"


@dataclass
class ExploreState:
    """What the server shows: the images, the pipeline it started with, and the Compose settings kept for export."""

    images: ImageSet
    steps: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    task: Any = None  # a preset name or a Task mapping
    cache: SampleCache = field(default_factory=SampleCache)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _int(body: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key}: expected an integer in [{low}, {high}], got {value!r}. Fix: pass e.g. {key}={default}.")
    return value


class Handler(BaseHTTPRequestHandler):
    server: "ExploreServer"
    protocol_version = "HTTP/1.1"
    server_version = "invariant-explore"
    sys_version = ""

    # -- plumbing ---------------------------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        if content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self._json(status, {"error": message})

    def _allowed(self) -> bool:
        """Host must name this server; Origin/Referer, when present, must be this server's origin."""
        hosts = self.server.allowed_hosts
        host = (self.headers.get("Host") or "").lower()
        if host not in hosts:
            self._refuse(HTTPStatus.FORBIDDEN, f"Host: expected one of {sorted(hosts)}, got {host!r}. Fix: open the URL the server printed.")
            return False
        for header in ("Origin", "Referer"):
            value = self.headers.get(header)
            if value is None or value == "null" and header == "Origin" and self.command == "GET":
                continue
            parts = urlsplit(value)
            if parts.scheme != "http" or (parts.netloc or "").lower() not in hosts:
                self._refuse(HTTPStatus.FORBIDDEN, f"{header}: expected this server's own page, got {value!r}. Fix: use the page the server printed; other sites may not call it.")
                return False
        return True

    def _body(self, limit: int) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._refuse(HTTPStatus.LENGTH_REQUIRED, "Content-Length: expected the body's size. Fix: send a Content-Length header.")
            return None
        if length < 0 or length > limit:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body: expected at most {limit} bytes, got {length}. Fix: send less.")
            return None
        return self.rfile.read(length)

    # -- routes ---------------------------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._allowed():
            return
        path = urlsplit(self.path).path
        if path in STATIC:
            name, kind = STATIC[path]
            self._send(HTTPStatus.OK, resources.files(__package__).joinpath("static", name).read_bytes(), kind)
        elif path == "/api/transforms":
            self._json(HTTPStatus.OK, {"transforms": list(transform_schemas())})
        elif path == "/api/state":
            state = self.server.state
            self._json(HTTPStatus.OK, {
                "images": state.images.listing(),
                "notes": state.images.notes,
                "steps": state.steps,
                "settings": {k: _plain(v) for k, v in state.settings.items()},
                "task": state.task,
                "task_presets": {name: fn().to_dict() for name, fn in TASK_PRESETS.items()},
                "task_properties": list(PROPERTIES),
                "modalities": list(MODALITIES),
                "limits": {"images": MAX_IMAGES, "samples": MAX_SAMPLES, "upload_bytes": MAX_UPLOAD_BYTES},
            })  # fmt: skip
        else:
            self._refuse(HTTPStatus.NOT_FOUND, f"path: no page {path!r} here. Fix: open /.")

    def do_POST(self) -> None:
        if not self._allowed():
            return
        parts = urlsplit(self.path)
        routes = {"/api/render": self._render, "/api/export": self._export, "/api/import": self._import}
        if parts.path != "/api/upload" and parts.path not in routes:
            self._refuse(HTTPStatus.NOT_FOUND, f"path: no endpoint {parts.path!r}. Fix: use the page.")
            return
        try:
            if parts.path == "/api/upload":
                data = self._body(MAX_UPLOAD_BYTES)
                if data is not None:
                    name = parse_qs(parts.query).get("name", ["upload"])[0]
                    entry = self.server.state.images.add_upload(name, data)
                    self._json(HTTPStatus.OK, {"image": {"id": entry.id, "name": entry.name, "source": entry.source, "annotations": ""}})
                return
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type: expected application/json. Fix: send the request as JSON.")
                return
            raw = self._body(MAX_JSON_BYTES)
            if raw is None:
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError as exc:
                raise ValueError(f"body: expected JSON, got a syntax error at line {exc.lineno} ({exc.msg}). Fix: send valid JSON.") from None
            if not isinstance(body, dict):
                raise TypeError(f"body: expected a JSON object, got {type(body).__name__}. Fix: send {{...}}.")
            self._json(HTTPStatus.OK, routes[parts.path](body))
        except (ValueError, TypeError, ConfigError, FileNotFoundError) as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except Exception as exc:  # the server keeps running whatever a request does
            traceback.print_exc(file=sys.stderr)
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error ({type(exc).__name__}: {exc}); the server keeps running"})

    # -- API ------------------------------------------------------------------------------------------------
    def _render(self, body: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        built = build_steps(body.get("pipeline", []))
        out: dict[str, Any] = {"step_errors": {str(k): v for k, v in built.errors.items()}, "rows": [], "timing": None, "errors": []}
        try:
            task = task_from(body.get("task"))
        except (ValueError, TypeError) as exc:
            out["task_error"] = str(exc)
            task = None
        try:
            out["check"] = check_report(built, task)
        except (ValueError, TypeError) as exc:  # steps that cannot form one pipeline (ToTensor not last)
            out["pipeline_error"] = str(exc)
            out["check"] = {"checked": False, "ok": False, "violations": [], "notes": [], "text": "not checked: the steps do not form a pipeline"}
            return out
        ids = body.get("images", [])
        if not isinstance(ids, list) or len(ids) > MAX_IMAGES:
            raise ValueError(f"images: expected a list of at most {MAX_IMAGES} image ids, got {ids!r:.80}. Fix: pick fewer images.")
        entries = [state.images.get(i) for i in ids]
        n = _int(body, "n", 6, 0, MAX_SAMPLES)
        seed = _int(body, "seed", 0, 0, 2**32 - 1)
        max_side = _int(body, "max_side", 768, 0, 8192)
        cell = _int(body, "cell", 224, 32, 1024)
        try:
            with state.lock:  # one render at a time: they are CPU-bound
                out.update(render(built, entries, state.cache, n=n, seed=seed, cell=cell, max_side=max_side, settings=state.settings))
        except (ValueError, TypeError) as exc:  # e.g. a Compose the steps cannot form (ToTensor not last)
            out["pipeline_error"] = str(exc)
        return out

    def _export(self, body: dict[str, Any]) -> dict[str, Any]:
        built = build_steps(body.get("pipeline", []))
        if built.errors:
            first = min(built.errors)
            raise ValueError(f"step {first + 1}: {built.errors[first]['message']}")
        return export(built, task_from(body.get("task")), self.server.state.settings)

    def _import(self, body: dict[str, Any]) -> dict[str, Any]:
        found = import_yaml(body.get("yaml"))
        self.server.state.settings = found["settings"]
        return {"steps": found["steps"], "task": found["task"], "settings": {k: _plain(v) for k, v in found["settings"].items()}}


def _plain(value: Any) -> Any:
    from ..core.serialization import _encode

    return _encode(value)


class ExploreServer(ThreadingHTTPServer):
    """ThreadingHTTPServer on 127.0.0.1 that knows its own allowed Host names."""

    daemon_threads = True

    def __init__(self, state: ExploreState, port: int = 0, verbose: bool = False) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state
        self.verbose = verbose
        real = self.server_address[1]
        self.allowed_hosts = frozenset({f"127.0.0.1:{real}", f"localhost:{real}", f"[::1]:{real}"})

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return  # the page went away mid-request (a newer edit, a closed tab)
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


def make_server(config: Any = None, images: Any = None, coco: Any = None, task: Any = None, port: int = 0, samples: bool = True, verbose: bool = False) -> ExploreServer:
    """Build the server (not yet serving): ``config`` a pipeline file or a pipeline, ``images`` a folder,
    ``coco`` a COCO JSON file (images under ``images`` or beside the file), ``task`` a preset name
    (``TASK_PRESETS``), a ``Task`` or its mapping; ``port`` 0 picks a free port."""
    from pathlib import Path

    from ..core.serialization import load
    from ..core.transform import Transform
    from ..domains import Task
    from .render import pipeline_state

    found = ImageSet.build(images=images, coco=coco, samples=samples)
    state = ExploreState(found)
    if config is not None:
        pipe = config if isinstance(config, Transform) else load(Path(config))
        loaded = pipeline_state(pipe)
        state.steps, state.settings, state.task = loaded["steps"], loaded["settings"], loaded["task"]
    if task is not None:
        state.task = task.to_dict() if isinstance(task, Task) else task
        task_from(state.task)  # refuse an unknown preset now, with the list
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port: expected an integer in [0, 65535] (0: a free port), got {port!r}. Fix: pass e.g. --port 8765.")
    return ExploreServer(state, port=port, verbose=verbose)
