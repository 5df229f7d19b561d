"""The compiled catalogs are committed and match their ``messages.po``.

Every documented way of running the portal (Quick start, ``pip install`` + gunicorn, the Docker
image) serves the ``.mo`` files from the checkout; none compiles them. A stale one would show
German pages with English gaps, so this fails until ``python -m core.translations compile`` has
been run and its output committed.
"""

from __future__ import annotations

import subprocess

import pytest

from core.translations import LOCALES, ROOT, compiled, mo_path


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_matches_its_po_file(locale):
    mo = mo_path(locale)
    assert mo.exists(), f"{mo} is missing: run python -m core.translations compile and commit it"
    assert mo.read_bytes() == compiled(locale), f"{mo} is out of date: run python -m core.translations compile"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_is_committed(locale):
    relative = mo_path(locale).relative_to(ROOT)
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", "-q", str(relative)], cwd=ROOT, check=False)  # noqa: S603, S607
    assert ignored.returncode == 1, f"{relative} must not be ignored by git"
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", str(relative)], cwd=ROOT, capture_output=True)  # noqa: S603, S607
    assert tracked.returncode == 0, f"{relative} is not committed"
