"""With RATELIMIT_STORAGE_URI on Redis, login limits hold across app processes."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

REDIS_URL = "redis://127.0.0.1:6379"
ROOT = Path(__file__).resolve().parents[2]

# Another web process: the same app and database, its own memory, posting wrong passwords.
OTHER_PROCESS = """
import json, sys
from core.app import create_app
from core.config import TestConfig
config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
config.update(json.loads(sys.argv[1]))
client = create_app(config).test_client()
data = {"email": "target@example.com", "password": "wrong password"}
print(json.dumps([client.post("/login", data=data).status_code for _ in range(int(sys.argv[2]))]))
"""


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def post_from_another_process(settings: dict, times: int) -> list[int]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", OTHER_PROCESS, json.dumps(settings), str(times)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not redis_available(), reason="no Redis server on 127.0.0.1:6379")
@pytest.mark.parametrize("storage, shared", [(REDIS_URL, True), ("memory://", False)])
def test_the_per_account_limit_is_shared_only_through_redis(app, storage, shared):
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute",
    }
    first = post_from_another_process(settings, 2)
    second = post_from_another_process(settings, 2)
    assert first == [200, 200]
    assert second == ([200, 429] if shared else [200, 200])
