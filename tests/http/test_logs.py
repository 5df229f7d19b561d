"""Every log line written while a request runs carries that request's id, which the response
also carries (``X-Request-ID``); commands get an id per batch or run through ``logs.job``."""

from __future__ import annotations

import io
import json
import logging

import pytest

from core import logs
from tests.conftest import make_app
from tests.http.test_database_faults import _closed_port


@pytest.fixture
def captured():
    """The app's own log handler (request id filter and format) on the root logger, into a buffer."""
    stream = io.StringIO()
    handler = logs.make_handler(stream, fmt="text")
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_every_line_of_a_request_carries_its_id(captured):
    # A request that logs several lines: the database refuses, a GET is retried, then 503.
    app = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/x")
    response = app.test_client().get("/readyz")
    request_id = response.headers["X-Request-ID"]
    lines = [line for line in captured.getvalue().splitlines() if "level=" in line]
    assert len(request_id) == 32 and lines
    assert all(f"request_id={request_id}" in line for line in lines), lines


def test_a_proxy_sent_request_id_is_kept_and_a_forged_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"}).headers["X-Request-ID"] == "lb-1234.abc"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script> " + "y" * 80})
    assert len(forged.headers["X-Request-ID"]) == 32 and "script" not in forged.headers["X-Request-ID"]
    assert client.get("/healthz").headers["X-Request-ID"] != client.get("/healthz").headers["X-Request-ID"]


def test_job_ids_and_json_format():
    stream = io.StringIO()
    logger = logging.getLogger("tests.logs.job")
    logger.addHandler(logs.make_handler(stream, fmt="json"))
    logger.propagate = False
    outer = logs.current_id()
    try:
        with logs.job("mail-dispatch") as run_id:
            logger.warning("sent=%d failed=%d", 10, 1)
        logger.warning("outside")
    finally:
        logger.handlers.clear()
        logger.propagate = True
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["request_id"] == run_id and run_id.startswith("mail-dispatch-")
    assert inside["message"] == "sent=10 failed=1" and inside["level"] == "WARNING"
    assert outside["request_id"] == outer != run_id  # the outer id is back after the block
