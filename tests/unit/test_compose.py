"""compose.yaml brings the mail dispatcher back should it ever exit."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_restarts_the_mail_dispatcher():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["mailer"]["command"] == ["flask", "mail-dispatch", "--loop"]
    assert services["mailer"].get("restart") in {"always", "unless-stopped"}
