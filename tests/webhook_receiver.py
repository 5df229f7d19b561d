"""A real webhook receiver on loopback for the tests: a threaded ``http.server`` that verifies
every request's signature with the ``standardwebhooks`` package (as a receiver would) and counts
requests per ``webhook-id``.

- ``fail_next(n, status)``: answer the next ``n`` requests with ``status`` (default 500);
- ``hold()``: keep requests waiting (unanswered) until ``release()``; ``held`` is set as soon
  as one is waiting, so a test can act while a dispatcher is mid-request;
- ``accepted``: the verified requests answered 2xx, in order (id, parsed payload); ``seen``
  every request (id, status answered, verified?).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


class WebhookReceiver:
    def __init__(self, secret: str = ""):
        self.secret = secret
        self.lock = threading.Lock()
        self.accepted: list[tuple[str, dict]] = []
        self.seen: list[tuple[str, int, bool]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self._failures: list[int] = []
        self._hold = threading.Event()
        self._hold.set()  # not holding
        self.held = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.headers.append(headers)
                    receiver.paths.append(self.path)
                if not receiver._hold.is_set():
                    receiver.held.set()
                    receiver._hold.wait(30)
                status, verified, payload = receiver._answer(body, headers)
                # Counted before answering, as a receiver that commits before its 2xx: once the
                # dispatcher has the answer, the count is there for the test to read.
                with receiver.lock:
                    receiver.seen.append((headers.get("webhook-id", ""), status, verified))
                    if verified and 200 <= status < 300:
                        receiver.accepted.append((headers["webhook-id"], payload))
                with contextlib.suppress(OSError):  # the dispatcher may be gone (killed)
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, body: bytes, headers: dict[str, str]) -> tuple[int, bool, dict | None]:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except (WebhookVerificationError, ValueError) as exc:  # a wrong secret or a tampered body
            return 400, False, {"error": str(exc)}
        with self.lock:
            status = self._failures.pop(0) if self._failures else 200
        return status, True, payload

    def fail_next(self, times: int, status: int = 500) -> None:
        with self.lock:
            self._failures.extend([status] * times)

    def hold(self) -> None:
        self.held.clear()
        self._hold.clear()

    def release(self) -> None:
        self._hold.set()

    def wait_answered(self, count: int, timeout: float = 30) -> bool:
        """Wait until ``count`` requests have been answered (or have failed to be)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.seen) >= count:
                    return True
            time.sleep(0.02)
        return False

    def accepted_counts(self) -> Counter:
        with self.lock:
            return Counter(message_id for message_id, _ in self.accepted)

    def requests_for(self, message_id: str) -> int:
        with self.lock:
            return sum(1 for seen_id, _status, _verified in self.seen if seen_id == message_id)

    def payloads(self) -> list[dict]:
        with self.lock:
            return [payload for _, payload in self.accepted]
