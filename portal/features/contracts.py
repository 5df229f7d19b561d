"""Contracts: list, detail, PDF, and signing by typed full name (once; then immutable)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from core.forms import name_field
from core.i18n import _, _l
from core.models import Contract
from core.pagination import paginate
from core.pdf import document_pdf, pdf_download, pdf_filename
from core.services import ServiceError
from core.services.decisions import SIGNER_NAME_MAX, sign_contract

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("contracts", __name__, "contracts")


class SignForm(FlaskForm):
    signer_name = name_field(_l("Your full name"), max_length=SIGNER_NAME_MAX)


@bp.route("/contracts")
def index():
    stmt = scoped(Contract).order_by(Contract.start_date.desc(), Contract.id.desc())
    return render_template("portal/contracts/index.html", page=paginate(stmt))


def _detail_page(contract: Contract, form: SignForm | None = None):
    form = form or SignForm()
    return render_template("portal/contracts/detail.html", contract=contract, form=form)


@bp.route("/contracts/<int:contract_id>")
def detail(contract_id: int):
    return _detail_page(owned_or_404(Contract, contract_id))


@bp.route("/contracts/<int:contract_id>/pdf")
def contract_pdf(contract_id: int):
    contract = owned_or_404(Contract, contract_id)
    data = document_pdf("contract", contract, current_user.customer, current_app.config["COMPANY_NAME"])
    return pdf_download(data, pdf_filename("contract", contract))


@bp.route("/contracts/<int:contract_id>/sign", methods=["POST"])
def sign(contract_id: int):
    contract = owned_or_404(Contract, contract_id)
    form = SignForm()
    # Once signed (e.g. a second submit), the service says so, whatever the form holds.
    if not form.validate_on_submit() and not contract.is_signed:
        return _detail_page(contract, form)
    try:
        sign_contract(
            contract, current_user._get_current_object(), signer_name=form.signer_name.data, ip=request.remote_addr
        )
    except ServiceError as exc:
        flash(str(exc), "warning")
    else:
        flash(_("Thank you: the contract is signed."), "success")
    return redirect(url_for("portal.contracts.detail", contract_id=contract.id))
