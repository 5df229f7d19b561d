"""Where a webhook may be sent: the server-side request forgery (SSRF) rule, in one place.

An endpoint URL must be ``http`` or ``https`` with a host name (or address), no user name or
password; the host is resolved and **every** address it resolves to must be a public one: not
loopback, private, link-local (cloud metadata at 169.254.169.254 included), multicast, reserved,
unspecified, shared (100.64.0.0/10) or otherwise not globally routable (``ipaddress``); an IPv6
address that embeds an IPv4 one (``::ffff:10.0.0.1``) is judged by the IPv4 address.
``WEBHOOKS_ALLOW_LOOPBACK`` (off by default) lets loopback addresses through, for tests only.

The rule runs when an endpoint is saved and again at every delivery, and the delivery connects
to the address checked right then (``Target.address``), sending the URL's host name as the
``Host`` header and as TLS SNI (and the certificate is verified against that name): a DNS answer
that changes between the check and the connection (DNS rebinding) cannot redirect the request.
"""

from __future__ import annotations

import ipaddress
import socket
import string
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from flask import current_app

from core.i18n import _, ngettext
from core.services import ServiceError

MAX_URL_LENGTH = 500


class UnsafeTarget(ServiceError):
    """The URL is not one a webhook may be sent to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to ``address`` (an IP) and ``port``, ask for ``host`` and ``path``."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _parts(url: str):
    url = (url or "").strip()
    if not url:
        raise UnsafeTarget(_("Enter the endpoint's URL."))
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(
            ngettext(
                "The URL is too long (at most %(max)d character).",
                "The URL is too long (at most %(max)d characters).",
                MAX_URL_LENGTH,
                max=MAX_URL_LENGTH,
            )
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UnsafeTarget(_("The URL cannot contain spaces or control characters."))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(_("The URL must start with https:// or http://."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget(_("The URL cannot contain a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget(_("The URL's port is not valid.")) from exc
    if not parts.hostname:
        raise UnsafeTarget(_("The URL needs a host name."))
    return url, parts, port


def forbidden_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> str | None:
    """Why a webhook may not go to ``address`` (a word for the message), or None when it may."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    for reason, flagged in (
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flagged:
            return reason
    if not address.is_global:
        return "not public"
    return None


def resolve(url: str) -> Target:
    """Check ``url`` and resolve its host now; the ``Target`` to connect to, or ``UnsafeTarget``.

    Every address the host resolves to must pass ``forbidden_reason``: one bad address refuses
    the URL (a host that also resolves to an internal address is not a public endpoint).
    """
    url, parts, port = _parts(url)
    host = parts.hostname
    try:
        # The ASCII (IDNA) form is what is resolved, sent as Host and checked against the certificate.
        host = host if host.isascii() else host.encode("idna").decode("ascii")
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(_("The host %(host)s could not be resolved.", host=host)) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeTarget(_("The host %(host)s could not be resolved.", host=host))
    allow_loopback = bool(current_app.config.get("WEBHOOKS_ALLOW_LOOPBACK"))
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])  # drop an IPv6 zone id
        reason = forbidden_reason(address, allow_loopback=allow_loopback)
        if reason is not None:
            raise UnsafeTarget(
                _(
                    "Webhooks cannot be sent to %(host)s: it resolves to %(address)s, which is not a public "
                    "address (%(reason)s).",
                    host=host,
                    address=str(address),
                    reason=reason,
                )
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # Non-ASCII characters percent-encoded (an HTTP request line is ASCII); the rest stays as typed.
    return Target(parts.scheme, host, port, quote(path, safe=string.punctuation), addresses[0])
