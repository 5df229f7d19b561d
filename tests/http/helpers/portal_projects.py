"""Shared by the customer-area project tests: a customer with a fully shared project full of
visible and hidden items, and small request and query helpers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.catalogs import PERMISSION_KEYS, PROJECT_SETTING_KEYS
from core.extensions import db
from core.models import Discussion, Milestone, OutboxEmail, StoredFile
from core.services.projects import set_project_settings

ALL = frozenset(PERMISSION_KEYS)


ALL_SETTINGS = frozenset(PROJECT_SETTING_KEYS)


def add_file(project, name="plan.pdf", data=b"%PDF-1.4 plan", *, visible=True) -> StoredFile:
    """A stored project file written the way ``core.files`` writes uploads."""
    from flask import current_app

    stored = StoredFile(
        customer_id=project.customer_id,
        project_id=project.id,
        original_name=name,
        stored_name=f"{project.id}-{name}-{visible}".replace(".", "-"),
        content_type="application/pdf",
        size=len(data),
        visible_to_customer=visible,
    )
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored.stored_name).write_bytes(data)
    db.session.add(stored)
    db.session.commit()
    return stored


class World:
    """A customer with a fully shared project full of visible and hidden items."""

    def __init__(self, f, *, permissions=ALL, settings=ALL_SETTINGS, company="Acme"):
        self.customer = f.make_customer(company)
        self.contact = f.make_contact(self.customer, permissions=permissions)
        self.project = f.make_project(
            self.customer, name=f"{company} tower", tasks=[(f"{company} pour concrete", True), ("Cost review", False)]
        )
        self.project.description = "Twelve floors of glass."
        self.project.progress = 40
        set_project_settings(self.project, settings)
        self.task, self.internal_task = self.project.tasks
        self.milestone = Milestone(project_id=self.project.id, name="Shell complete")
        self.hidden_milestone = Milestone(project_id=self.project.id, name="Budget gate", visible_to_customer=False)
        self.discussion = Discussion(project_id=self.project.id, subject="Facade colour")
        self.hidden_discussion = Discussion(
            project_id=self.project.id, subject="Margin talk", visible_to_customer=False
        )
        db.session.add_all([self.milestone, self.hidden_milestone, self.discussion, self.hidden_discussion])
        db.session.commit()
        self.file = add_file(self.project, "plan.pdf")
        self.hidden_file = add_file(self.project, "costing.pdf", visible=False)
        # Documents of the project, and a draft of each kind that must never show.
        self.invoice = f.make_invoice(self.customer)
        self.draft_invoice = f.make_invoice(self.customer, status="draft")
        self.estimate = f.make_estimate(self.customer)
        self.draft_estimate = f.make_estimate(self.customer, status="draft")
        self.contract = f.make_contract(self.customer, subject="Site contract")
        self.proposal = f.make_proposal(self.customer, subject="Extra floor offer")
        self.draft_proposal = f.make_proposal(self.customer, status="draft", subject="Secret draft offer")
        self.ticket = f.make_ticket(self.customer, self.contact, subject="Crane noise")
        self.other_invoice = f.make_invoice(self.customer)  # same customer, no project: not in the tab
        for doc in (
            self.invoice,
            self.draft_invoice,
            self.estimate,
            self.draft_estimate,
            self.contract,
            self.proposal,
            self.draft_proposal,
            self.ticket,
        ):
            doc.project_id = self.project.id
        db.session.commit()

    def url(self, suffix: str = "") -> str:
        return f"/projects/{self.project.id}{suffix}"


def tab_keys(body: str) -> list[str]:
    return [part.split('"', 1)[0] for part in body.split('data-tab="')[1:]]


def page(client, url: str):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def download(client, url: str):
    """GET a file and close the response (send_file keeps the file open until then)."""
    response = client.get(url)
    response.get_data()  # read it while the file is open
    response.close()
    return response


def outbox() -> list[tuple[str, str]]:
    return sorted(tuple(row) for row in db.session.execute(select(OutboxEmail.event, OutboxEmail.to_address)))


def _fill(world: World, suffix: str) -> str:
    return world.url(suffix.format(task=world.task.id, file=world.file.id, discussion=world.discussion.id))
