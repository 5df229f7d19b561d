"""A real SMTP server on loopback (aiosmtpd) for delivery tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RecordingHandler:
    """Accepts mail and keeps it; addresses in ``refuse`` get that SMTP reply instead, every
    address gets ``refuse_all`` when set; each message takes ``delay`` seconds (a slow server)."""

    messages: list = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_all: str = ""
    delay: float = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse_all:
            return self.refuse_all
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        """The messages once at least ``count`` have arrived (delivery runs after the response
        that queued them is sent, so a browser can see the page before the email is out)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages

    def to(self, address: str) -> list:
        """Messages whose envelope went to ``address``."""
        return [message for rcpts, message in self.messages if address in rcpts]
