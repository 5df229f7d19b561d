"""A small software authenticator for the HTTP tests: it answers the server's WebAuthn options
the way a browser with a passkey would (``navigator.credentials.create/get`` and the JSON our
static/js/passkeys.js posts), with a real EC P-256 key and real signatures.

- ``create(options, origin)``: a new discoverable credential; "none" attestation; authenticator
  data with the RP id hash, flags (user present, verified, attested credential data), the
  signature counter and the COSE public key.
- ``get(options, origin)``: an assertion by the credential stored for the options' RP id,
  counter incremented, signed with ES256 over authenticatorData || SHA-256(clientDataJSON).

``origin`` is what the browser would put in clientDataJSON (the page's origin), so a test can
play a phishing site by passing another one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One passkey held by the authenticator."""

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        # kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


@dataclass
class SoftwareAuthenticator:
    """Holds credentials per RP id, like a phone's passkey store."""

    credentials: list[Credential] = field(default_factory=list)
    # A synced passkey often reports no counter: set False to always answer 0.
    counts: bool = True

    def _client_data(self, kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def create(self, options: dict, origin: str) -> dict:
        """The JSON of ``navigator.credentials.create()`` for the server's ``options``."""
        rp_id = options["rp"]["id"]
        excluded = {c["id"] for c in options.get("excludeCredentials", [])}
        if any(b64url(c.credential_id) in excluded for c in self.credentials if c.rp_id == rp_id):
            raise ValueError("InvalidStateError: this authenticator already holds an excluded credential")
        credential = Credential(
            credential_id=os.urandom(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=from_b64url(options["user"]["id"]),
        )
        self.credentials.append(credential)
        attested = bytes(16) + struct.pack(">H", len(credential.credential_id)) + credential.credential_id
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([FLAG_UP | FLAG_UV | FLAG_AT])
            + struct.pack(">I", 0)
            + attested
            + credential.cose_public_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict, origin: str, credential: Credential | None = None) -> dict:
        """The JSON of ``navigator.credentials.get()``: an assertion by ``credential`` (default:
        the newest one for the options' RP id), counter incremented."""
        rp_id = options["rpId"]
        credential = credential or [c for c in self.credentials if c.rp_id == rp_id][-1]
        if self.counts:
            credential.sign_count += 1
        auth_data = (
            hashlib.sha256(credential.rp_id.encode()).digest()
            + bytes([FLAG_UP | FLAG_UV])
            + struct.pack(">I", credential.sign_count if self.counts else 0)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
        }
