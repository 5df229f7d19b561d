"""Business rules. Services validate, change the database and own the transaction (commit).

Views call exactly one service function per action; a service raises ``ServiceError`` with a
message meant for the user when a rule refuses the change, and then nothing has changed.
"""


class ServiceError(Exception):
    """A rule refused the change; ``str(error)`` is a message for the user."""


class StaleVersionError(ServiceError):
    """The object changed since the caller read it (optimistic locking): nothing was saved."""
