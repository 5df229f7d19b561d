"""Sales documents in the admin area: lists, detail, create/edit/delete, convert, send, payments.

Importing the package registers its routes on the admin blueprint.
"""

from . import documents, edit, lists

__all__ = ["documents", "edit", "lists"]
