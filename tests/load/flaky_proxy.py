"""An HTTP proxy that misbehaves on schedule, in front of a real FHIR server.

Requests are numbered as they arrive; request n meets FAULTS[n % len(FAULTS)]:
- "drop": the connection closes before anything is forwarded;
- "drop-after": the request is forwarded and applied, then the connection closes unanswered;
- "500", "429" (with Retry-After) and "413" (a body past a limit, for subclasses) answer without forwarding;
- "late": forwarded, applied, and answered after `late_seconds` (past the client's timeout).
Every other request passes through. GET metadata always passes, so the client's first look succeeds.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("ok", "drop", "ok", "500", "ok", "429", "ok", "late", "ok", "drop-after", "ok", "ok")
FORWARDED_HEADERS = ("Content-Type", "Accept", "Prefer", "X-Request-Source")


class FlakyProxy:
    def __init__(self, upstream: str, retry_after: int = 1, late_seconds: float = 1.5):
        self.upstream = urlsplit(upstream)
        self.retry_after, self.late_seconds = retry_after, late_seconds
        self.faults = Counter()
        self.throttled: dict[str, float] = {}  # request digest → when it was answered 429
        self.waits: list[float] = []           # seconds between a 429 and the same request again
        self.lock = threading.Lock()
        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fault_for(self, method: str, path: str, body: bytes) -> str:
        digest = hashlib.sha256(method.encode() + path.encode() + body).hexdigest()
        with self.lock:
            now = time.monotonic()
            if digest in self.throttled:
                self.waits.append(now - self.throttled.pop(digest))
            if path.endswith("/metadata"):
                return "ok"
            fault = FAULTS[self.requests % len(FAULTS)]
            self.requests += 1
            self.faults[fault] += 1
            if fault == "429":
                self.throttled[digest] = now
            return fault

    def forward(self, method: str, path: str, headers, body: bytes) -> tuple[int, bytes, str]:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            connection.request(method, path, body=body or None,
                               headers={h: headers[h] for h in FORWARDED_HEADERS if h in headers})
            response = connection.getresponse()
            return response.status, response.read(), response.getheader("Content-Type", "application/fhir+json")
        finally:
            connection.close()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: bytes, content_type: str, extra: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = proxy.fault_for(self.command, self.path, body)
                if fault == "drop":
                    self.close_connection = True
                    return
                if fault in ("500", "429", "413"):
                    code = b"too-costly" if fault == "413" else b"transient"
                    outcome = b'{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"' + code + b'"}]}'
                    extra = {"Retry-After": str(proxy.retry_after)} if fault == "429" else None
                    return self._answer(int(fault), outcome, "application/fhir+json", extra)
                status, answer, content_type = proxy.forward(self.command, self.path, self.headers, body)
                if fault == "drop-after":
                    self.close_connection = True
                    return
                if fault == "late":
                    time.sleep(proxy.late_seconds)
                try:
                    self._answer(status, answer, content_type)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = _handle

        return Handler
