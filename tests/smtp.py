"""A real SMTP server for the email tests: aiosmtpd on a free port of 127.0.0.1, in a thread of the
test process. Workers and web servers started by a test reach it over TCP like any mail server.

``fail_next(n)`` makes it answer the next ``n`` messages with a temporary failure (451), as a busy
or greylisting server does.
"""
import email
import email.policy
import re
import threading
import time
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from .processes import free_port


class Mailbox:
    """The aiosmtpd handler: keeps every accepted message, parsed."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.refused = 0
        self._failures_left = 0
        self._lock = threading.Lock()

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures_left = count

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                self.refused += 1
                return "451 4.3.0 Busy, try again later"
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            parsed["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in m["X-Envelope-To"]]

    def wait_for(self, address: str, count: int = 1, timeout: float = 60) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        pytest.fail(f"timed out after {timeout}s waiting for {count} mail(s) to {address}; got {len(self.to(address))}")


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(message: EmailMessage, path_prefix: str) -> str:
    """The path (from ``path_prefix`` on) of the first link to it in the plain-text part."""
    found = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S*)", text_of(message))
    assert found, f"no link to {path_prefix} in:\n{text_of(message)}"
    return found.group(1)


class SMTPServer:
    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> "SMTPServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller._thread is not None:  # stopped already by the test
            self.controller.stop()

    @property
    def env(self) -> dict:
        """What a process started by the test needs to send here (settings from the environment)."""
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port)}
