"""Helpers for the attacker-style tests (canary sweep, form fuzzing, XSS): searchable response
bodies (PDF streams inflated), CSRF tokens, logins, a same-site crawler and database snapshots.
"""

from __future__ import annotations

import hashlib
import html
import re
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from sqlalchemy import select

from core.extensions import db
from tests.factories import PASSWORD
from tests.pdf_streams import pdf_streams

# -- markers -----------------------------------------------------------------------------------


def new_marker(label: str) -> str:
    """A text no other data contains, short enough for a 32-character document number with a tag."""
    return f"CNRY{label}{uuid.uuid4().hex[:10].upper()}"


# -- reading responses -------------------------------------------------------------------------

_PDF_ESCAPE = re.compile(rb"\\([()\\])")


def inflate_pdf(data: bytes) -> bytes:
    """A PDF's raw bytes plus every FlateDecode stream inflated, with PDF string escapes undone."""
    parts = [data, *pdf_streams(data)]
    return _PDF_ESCAPE.sub(rb"\1", b"\n".join(parts))


def searchable(data: bytes) -> str:
    """Bytes as text to search: PDFs inflated; anything else decoded (UTF-8, else Latin-1)."""
    if data.startswith(b"%PDF"):
        return inflate_pdf(data).decode("cp1252", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def csp_allows_inline_script(policy: str) -> bool:
    """True when the policy's script-src (or default-src, its fallback) allows inline script."""
    directives = {}
    for part in policy.split(";"):
        words = part.strip().split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
    for name in ("script-src", "default-src"):
        if name in directives:
            return "'unsafe-inline'" in directives[name] or "*" in directives[name]
    return True  # no script-src and no default-src: anything goes


# -- forms and logins --------------------------------------------------------------------------

_TOKEN = (
    re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'),
    re.compile(r'name="csrf_token" value="([^"]+)"'),
    re.compile(r'value="([^"]+)" name="csrf_token"'),
)


def token_from(client, url: str) -> str:
    """The CSRF token of the form on ``url`` (the session's token, valid for every form)."""
    response = client.get(url)
    page = response.get_data(as_text=True)
    response.close()
    for pattern in _TOKEN:
        match = pattern.search(page)
        if match:
            return match.group(1)
    raise AssertionError(f"no CSRF token on {url} (status {response.status_code})")


def hidden_value(page: str, name: str) -> str | None:
    """The value of the hidden input ``name`` in ``page``."""
    for pattern in (rf'name="{name}" type="hidden" value="([^"]*)"', rf'name="{name}" value="([^"]*)"'):
        match = re.search(pattern, page)
        if match:
            return html.unescape(match.group(1))
    return None


def _log_in(client, path: str, email: str, password: str, csrf: bool, who: str) -> None:
    data = {"email": email, "password": password}
    if csrf:
        data["csrf_token"] = token_from(client, path)
    response = client.post(path, data=data)
    response.close()
    assert response.status_code == 302, f"{who} of {email} failed: {response.status_code}"


def login_contact(client, email: str, password: str = PASSWORD, *, csrf: bool = False) -> None:
    _log_in(client, "/login", email, password, csrf, "login")


def login_staff(client, email: str, password: str = PASSWORD, *, csrf: bool = False) -> None:
    _log_in(client, "/admin/login", email, password, csrf, "staff login")


# -- crawling ----------------------------------------------------------------------------------

_LINK = re.compile(r"""href\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
SKIPPED_PREFIXES = ("/static/", "/bootstrap/", "/logout", "/admin/logout")


@dataclass
class Page:
    url: str
    status: int
    mimetype: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return searchable(self.body)

    @property
    def is_html(self) -> bool:
        return self.mimetype == "text/html"


@dataclass
class CrawlResult:
    pages: list[Page] = field(default_factory=list)
    truncated: bool = False

    def by_url(self) -> dict[str, Page]:
        return {page.url: page for page in self.pages}


def local_links(page_html: str) -> list[str]:
    """Same-site links (starting with a single "/") in ``page_html``, fragments removed."""
    links = []
    for raw in _LINK.findall(page_html):
        url = urldefrag(html.unescape(raw).strip())[0]
        if url.startswith("/") and not url.startswith("//") and "\\" not in url:
            links.append(url)
    return links


def crawl(
    client,
    start: Iterable[str],
    *,
    limit: int = 600,
    skip: Callable[[str], bool] = lambda url: False,
    follow: Callable[[str], bool] = lambda url: True,
) -> CrawlResult:
    """GET every URL in ``start`` and every same-site link (and redirect) found on the way, once.

    ``skip(url)``: never request it; ``follow(url)``: read its links (e.g. only the customer area).
    """
    result = CrawlResult()
    queue = deque(dict.fromkeys(urldefrag(url)[0] for url in start))
    seen = set(queue)
    while queue:
        url = queue.popleft()
        if url.startswith(SKIPPED_PREFIXES) or skip(url):
            continue
        if len(result.pages) >= limit:
            result.truncated = True
            break
        response = client.get(url)
        body = response.get_data()
        headers = {key: value for key, value in response.headers.items()}
        page = Page(url, response.status_code, response.mimetype or "", headers, body)
        response.close()
        result.pages.append(page)
        found: list[str] = []
        location = headers.get("Location", "")
        if location:
            parts = urlsplit(location)
            if not parts.netloc:
                found.append(urldefrag(location)[0])
        if page.is_html and follow(url):
            found.extend(local_links(body.decode("utf-8", errors="replace")))
        for link in found:
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return result


# -- database snapshots ------------------------------------------------------------------------


def snapshot(exclude: Iterable[str] = ()) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows (ordered by primary key), as committed now.

    ``exclude`` names tables whose change is expected (e.g. the audit log of a failed login).
    """
    db.session.rollback()
    skip = set(exclude)
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
        state[table.name] = (len(rows), digest)
    db.session.rollback()
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))
