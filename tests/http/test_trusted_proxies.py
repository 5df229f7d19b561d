"""Behind a reverse proxy: with TRUSTED_PROXIES set, each client has its own address (login
limits, audit log, signatures); without it, X-Forwarded-For is ignored (a client could forge it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db, limiter
from core.models import AuditEntry, Contract
from tests.conftest import login, make_app

PROXY = "10.0.0.2"  # what the app sees as the peer: the proxy itself
ALICE, BOB = "198.51.100.7", "203.0.113.50"


def via_proxy(client_ip: str, forged: str | None = None) -> dict:
    """The WSGI environ of a request that came through one proxy from ``client_ip``; ``forged``
    is an X-Forwarded-For entry the client sent itself (the proxy appends the real address)."""
    chain = f"{forged}, {client_ip}" if forged else client_ip
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain, "HTTP_X_FORWARDED_PROTO": "https"}


@pytest.fixture
def proxied_app(request, app):
    """The test app with ``TRUSTED_PROXIES`` as parametrized and a small per-IP login limit."""
    proxied = make_app(TRUSTED_PROXIES=request.param, LOGIN_LIMIT_PER_IP="3 per minute")
    with proxied.app_context():
        limiter.reset()
        yield proxied
        limiter.reset()
        db.session.remove()
        db.engine.dispose()  # this app's own pool: close its connections now, not at garbage collection


def failed_logins(client, ip: str, times: int) -> list[int]:
    return [
        client.post(
            "/login", data={"email": f"nobody{n}@example.com", "password": "wrong password"}, environ_base=via_proxy(ip)
        ).status_code
        for n in range(times)
    ]


@pytest.mark.parametrize("proxied_app", [1], indirect=True)
def test_one_trusted_proxy_gives_each_client_its_own_login_limit(proxied_app):
    client = proxied_app.test_client()
    assert failed_logins(client, ALICE, 4)[-1] == 429, "Alice is throttled"
    assert failed_logins(client, BOB, 1) == [200], "Bob is not locked out by Alice's attempts"


@pytest.mark.parametrize("proxied_app", [0], indirect=True)
def test_without_trusted_proxies_forwarded_addresses_are_ignored(proxied_app):
    client = proxied_app.test_client()
    assert failed_logins(client, ALICE, 4)[-1] == 429
    # Every request comes from the proxy's address: a new X-Forwarded-For does not escape.
    assert failed_logins(client, BOB, 1) == [429]


@pytest.mark.parametrize("proxied_app", [1], indirect=True)
def test_audit_log_and_signatures_record_the_client_behind_the_proxy(proxied_app, f):
    customer = f.make_customer()
    contact = f.make_contact(customer, email="signer@example.com")
    contract = f.make_contract(customer)
    client = proxied_app.test_client()
    # A client that forges an X-Forwarded-For entry gets its real address recorded all the same.
    client.environ_base.update(via_proxy(ALICE, forged="192.0.2.66"))
    assert login(client, contact).status_code == 302
    response = client.post(f"/contracts/{contract.id}/sign", data={"signer_name": "Sig Ner"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).signer_ip == ALICE
    ips = set(db.session.scalars(select(AuditEntry.ip)))
    assert ips == {ALICE}


@pytest.mark.parametrize("proxied_app", [0], indirect=True)
def test_without_trusted_proxies_the_audit_log_records_the_peer(proxied_app, f):
    contact = f.make_contact(email="direct@example.com")
    client = proxied_app.test_client()
    client.environ_base.update(via_proxy(ALICE))
    assert login(client, contact).status_code == 302
    assert set(db.session.scalars(select(AuditEntry.ip))) == {PROXY}


def test_a_negative_number_of_proxies_is_refused():
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        make_app(TRUSTED_PROXIES=-1)
