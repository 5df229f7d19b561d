"""The pages of sign-in links, the same for both areas (each routes its two URLs here with its
``LoginArea``): asking for a link, and the page the emailed link opens.

The rules (single use, 15 minutes, newer link and password change kill older ones, the
setting, contact links for the customer area only and staff links for the admin area only)
live in ``core.services.sign_in_links``; here only the forms and the answers.
"""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField

from core.forms import email_field
from core.i18n import _, ngettext
from core.loginflow import LoginArea, complete_password_step, login_hint
from core.security import safe_next
from core.services import sign_in_links as links
from core.tokens import TokenError


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


def _layout(area: LoginArea) -> str:
    return f"{area.blueprint}/layout.html"


def _back_to_login(area: LoginArea, next_path: str):
    return redirect(url_for(f"{area.blueprint}.login", next=next_path or None))


def _signs_you_in(area: LoginArea) -> str:
    company = current_app.config["COMPANY_NAME"]
    if area.blueprint == links.ADMIN:
        return _("This link signs you in to the admin area of %(company)s once.", company=company)
    return _("This link signs you in to the customer area of %(company)s once.", company=company)


def request_page(area: LoginArea):
    """GET: the address form; POST: queue a link for ``area``. The same answer for every address."""
    form = SignInLinkRequestForm()
    if request.method == "GET":
        form.email.data = login_hint()
        form.next.data = request.args.get("next", "")
    next_path = safe_next(form.next.data) or ""
    if not links.sign_in_links_enabled():
        flash(_("Sign-in links are turned off. Please log in with your password."), "info")
        return _back_to_login(area, next_path)
    if form.validate_on_submit():
        links.request_sign_in_link(form.email.data, next_path, request.remote_addr or "", area=area.blueprint)
        flash(link_requested_message(), "info")
        return _back_to_login(area, next_path)
    login_url = url_for(f"{area.blueprint}.login", next=form.next.data or None)
    return render_template("sign_in_link_request.html", form=form, layout=_layout(area), login_url=login_url)


def link_page(area: LoginArea, token: str):
    """GET shows whom the link signs in, with one button; only its POST signs in (then the
    second factor, if the user has one, as after the password). A link of the other area, like
    any unusable link, gets a 400 page."""
    try:
        if request.method == "POST":
            user, next_path = links.use_sign_in_link(token, area=area.blueprint)
            landing = next_path or url_for(area.start_endpoint)
            return complete_password_step(user, landing, f"{area.blueprint}.login_verify")
        user, _next_path = links.check_sign_in_link(token, area=area.blueprint)
    except TokenError as exc:
        page = render_template(
            "token_invalid.html",
            layout=_layout(area),
            message=str(exc),
            title=_("Sign in with a link"),
            retry_url=url_for(area.sign_in_link_endpoint),
            login_url=url_for(f"{area.blueprint}.login"),
        )
        return _no_referrer(make_response(page, 400))
    name = getattr(user, "full_name", None) or user.name
    page = render_template(
        "sign_in_link.html",
        layout=_layout(area),
        name=name,
        signs_you_in=_signs_you_in(area),
        login_url=url_for(f"{area.blueprint}.login"),
    )
    return _no_referrer(make_response(page))
