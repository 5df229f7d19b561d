"""Reading QR codes the way a banking app would: from the picture, with a real decoder.

ZBar's ``zbarimg`` (Debian's zbar-tools) decodes PNGs; Poppler's ``pdftoppm`` (poppler-utils)
renders a PDF page to a PNG first, so a code in a PDF is read from the printed page, not from
the file's internals. ``.ci/run`` installs both; elsewhere a test that needs them is skipped
with the command to install them (and fails under CI, where they must be present).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

INSTALL = "apt-get install -y zbar-tools poppler-utils"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed ({INSTALL})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def decode_png(png: bytes) -> list[str]:
    """The texts of every QR code zbarimg finds in the PNG image ``png`` (none: an empty list)."""
    with tempfile.TemporaryDirectory() as folder:
        image = Path(folder) / "code.png"
        image.write_bytes(png)
        return _zbarimg(image)


def decode_pdf_page(pdf: bytes, page: int = 1) -> list[str]:
    """The texts of every QR code on page ``page`` of ``pdf`` rendered at 150 dpi, as a
    scanner sees the printout."""
    pdftoppm = _tool("pdftoppm")
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "doc.pdf", Path(folder) / "page"
        source.write_bytes(pdf)
        run = [pdftoppm, "-png", "-r", "150", "-f", str(page), "-l", str(page), "-singlefile", str(source), str(target)]
        subprocess.run(run, check=True, capture_output=True, timeout=60)  # noqa: S603 - our fixed tool and temporary paths
        return _zbarimg(target.with_suffix(".png"))


def _zbarimg(image: Path) -> list[str]:
    zbarimg = _tool("zbarimg")
    # --raw: only the data; -Sdisable -Sqrcode.enable: QR codes only; exit 4 means none found.
    command = [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary", str(image)]
    done = subprocess.run(command, capture_output=True, timeout=60)  # noqa: S603 - our fixed tool and temporary paths
    if done.returncode == 4:
        return []
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return [done.stdout.decode("utf-8").removesuffix("\n")]
