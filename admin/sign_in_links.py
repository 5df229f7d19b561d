"""The admin area's sign-in link pages (``core.sign_in_link_views``, the same as contacts')."""

from __future__ import annotations

from core.loginflow import STAFF_LOGIN
from core.sign_in_link_views import link_page, request_page
from core.throttle import login_throttled

from . import bp


@bp.route("/login/link", methods=["GET", "POST"])
@login_throttled
def request_sign_in_link():
    """GET: the address form; POST: queue a link. The same answer for every address."""
    return request_page(STAFF_LOGIN)


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def sign_in_link(token: str):
    """GET shows whom the link signs in; only its POST signs in (then the second factor)."""
    return link_page(STAFF_LOGIN, token)
