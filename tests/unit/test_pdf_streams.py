"""The tests' PDF reader finds the text of every compressed stream, whatever its last byte."""

from __future__ import annotations

import random
import zlib

from tests.pdf_streams import pdf_streams


def _ending_in_carriage_return() -> tuple[bytes, bytes]:
    rng = random.Random(7)
    for _ in range(10_000):
        text = b"BT (Contract %s) Tj ET" % rng.randbytes(5).hex().encode()
        data = zlib.compress(text)
        if data.endswith(b"\r"):
            return text, data
    raise AssertionError("no compressed stream ending in CR found")


def test_a_compressed_stream_ending_in_cr_is_inflated():
    text, data = _ending_in_carriage_return()
    pdf = b"%PDF-1.3\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n" + data + b"\nendstream\nendobj\n"
    assert pdf_streams(pdf) == [text]


def test_plain_streams_and_crlf_line_ends():
    text, data = _ending_in_carriage_return()
    pdf = b"%PDF-1.3\nstream\r\n" + data + b"\r\nendstream\nstream\nBT (plain) Tj ET\nendstream\n"
    assert pdf_streams(pdf) == [text, b"BT (plain) Tj ET"]
