"""Webhook signatures follow Standard Webhooks: the package verifies them, and so does the plain
``hmac`` recipe the README gives receivers; a changed body, id or secret fails both."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from core.webhooks.sending import new_secret, signed_headers

BODY = '{"type":"invoice.paid","timestamp":"2026-12-02T09:30:00Z","data":{"id":7,"total":"119.00"}}'


def readme_verified(secret: str, headers: dict, raw_body: bytes) -> bool:
    """The README's standard-library example, as written there."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + raw_body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, sig.split(",", 1)[1])
        for sig in headers["webhook-signature"].split()
        if sig.startswith("v1,")
    )


def test_secrets_are_fresh_32_byte_keys_in_the_standard_format():
    first, second = new_secret(), new_secret()
    assert first != second
    assert first.startswith("whsec_") and len(base64.b64decode(first[6:])) == 32


def test_the_package_and_the_readme_recipe_verify_our_signature():
    secret = new_secret()
    headers = signed_headers(secret, "msg_0123456789abcdef0123456789abcdef", BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY.encode(), headers)["data"]["total"] == "119.00"
    assert readme_verified(secret, headers, BODY.encode())


@pytest.mark.parametrize("change", ["body", "id", "secret"])
def test_any_change_breaks_the_signature(change):
    secret = new_secret()
    headers = signed_headers(secret, "msg_0123456789abcdef0123456789abcdef", BODY)
    body = BODY.replace("119.00", "1.00") if change == "body" else BODY
    if change == "id":
        headers = {**headers, "webhook-id": "msg_ffffffffffffffffffffffffffffffff"}
    key = new_secret() if change == "secret" else secret
    with pytest.raises(WebhookVerificationError):
        Webhook(key).verify(body.encode(), headers)
    assert not readme_verified(key, headers, body.encode())
