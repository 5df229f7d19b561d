"""Public pages of sign-in links: asking for one, and the page the emailed link opens.

The rules (single use, 15 minutes, newer link and password change kill older ones, the
setting) live in ``core.services.sign_in_links``; here only the forms and the answers.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField

from core.forms import email_field
from core.i18n import _, ngettext
from core.loginflow import complete_password_step, login_hint
from core.security import safe_next
from core.services import sign_in_links as links
from core.throttle import login_throttled
from core.tokens import TokenError

from . import bp


def link_requested_message() -> str:
    """The one answer to every request for a link, whether or not the address has an account."""
    return ngettext(
        "If an account uses this address, we have sent it an email with a sign-in link. "
        "The link works once, for %(num)d minute.",
        "If an account uses this address, we have sent it an email with a sign-in link. "
        "The link works once, for %(num)d minutes.",
        links.LINK_MINUTES,
    )


class SignInLinkRequestForm(FlaskForm):
    email = email_field()
    next = HiddenField()


def _no_referrer(response):
    # The token is in the URL: never leak it to another site through the Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _back_to_login(next_path: str):
    return redirect(url_for("portal.login", next=next_path or None))


@bp.route("/login/link", methods=["GET", "POST"])
@login_throttled
def request_sign_in_link():
    """GET: the address form; POST: queue a link. The same answer for every address."""
    form = SignInLinkRequestForm()
    if request.method == "GET":
        form.email.data = login_hint()
        form.next.data = request.args.get("next", "")
    next_path = safe_next(form.next.data) or ""
    if not links.sign_in_links_enabled():
        flash(_("Sign-in links are turned off. Please log in with your password."), "info")
        return _back_to_login(next_path)
    if form.validate_on_submit():
        links.request_sign_in_link(form.email.data, next_path, request.remote_addr or "")
        flash(link_requested_message(), "info")
        return _back_to_login(next_path)
    return render_template("portal/sign_in_link_request.html", form=form)


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def sign_in_link(token: str):
    """GET shows whom the link signs in, with one button; only its POST signs in (then the
    second factor, if the contact has one, as after the password)."""
    try:
        if request.method == "POST":
            contact, next_path = links.use_sign_in_link(token)
            return complete_password_step(contact, next_path or url_for("portal.dashboard"), "portal.login_verify")
        contact, _next_path = links.check_sign_in_link(token)
    except TokenError as exc:
        page = render_template(
            "portal/token_invalid.html",
            message=str(exc),
            title=_("Sign in with a link"),
            retry_url=url_for("portal.request_sign_in_link"),
        )
        return _no_referrer(make_response(page, 400))
    return _no_referrer(make_response(render_template("portal/sign_in_link.html", contact=contact)))
