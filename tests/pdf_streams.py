"""The streams of a PDF, inflated: where tests look for the text a PDF shows."""

from __future__ import annotations

import re
import zlib

# A stream's data ends at the end-of-line before "endstream". Only the newline is taken off: a
# compressed stream's own last byte can be a carriage return (about one stream in 256), and
# cutting it made its text vanish from the tests' view now and then.
_STREAM = re.compile(rb"stream\r?\n(.*?)\nendstream", re.DOTALL)


def pdf_streams(pdf: bytes) -> list[bytes]:
    """Every stream of ``pdf``: inflated when Flate-compressed, else as stored (zlib ignores
    anything after the end of its data, such as the CR of a CRLF end-of-line)."""
    streams = []
    for raw in _STREAM.findall(pdf):
        try:
            streams.append(zlib.decompressobj().decompress(raw))
        except zlib.error:
            streams.append(raw)
    return streams
