"""Delivering the outbox over SMTP: claim rows, send over one connection, record the outcome.

- Claiming marks rows ``sending`` in one short transaction; on PostgreSQL the candidate rows
  are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent dispatchers never take the same
  row. SQLite serialises writers, which gives the same guarantee for a single database file.
  A row left ``sending`` by a crashed dispatcher is claimable again after the lease
  (``MAIL_LEASE_SECONDS``); a running dispatcher renews the lease of its batch while sending.
- Only the server's answer about a message consumes one of its attempts: a 4xx reply defers
  that message with an exponential backoff (the rest of the batch goes on), a 5xx reply fails
  it. An unavailable mail server (connection refused or dropped, 421) is nobody's fault: the
  claimed rows are put back untouched, with a note, and the round ends.
- A lost database connection never loses a claimed row: what was sent is recorded and the rest
  is put back as soon as the database answers again (``outcomes.Outcomes.settle``).
- With no ``MAIL_SERVER`` (the embedded default) rows are marked ``logged``: stored and
  readable in the admin email log, never sent.

The package, module by module: ``claims`` (which rows are due, claiming them, reading their
messages), ``delivery`` (SMTP), ``outcomes`` (recording each row's result) and ``rounds``
(batches, the request flush and the ``--loop`` dispatcher). Import the public names from here.
"""

from .claims import claim_batch, due_count, lease_seconds
from .outcomes import DispatchResult, backoff, server_text
from .rounds import dispatch_all, dispatch_once, dispatch_queued, run_forever

__all__ = [
    "DispatchResult",
    "backoff",
    "claim_batch",
    "dispatch_all",
    "dispatch_once",
    "dispatch_queued",
    "due_count",
    "lease_seconds",
    "run_forever",
    "server_text",
]
