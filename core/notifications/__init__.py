"""Who gets which email: the event list, the recipient rule and the notify functions."""

from .events import EVENTS, Event
from .recipients import qualifies, recipients_for

__all__ = ["EVENTS", "Event", "qualifies", "recipients_for"]
