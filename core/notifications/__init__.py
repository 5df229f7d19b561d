"""Who gets which email: the event list, the recipient rule and the notify functions."""

from .events import EVENTS, Event
from .recipients import recipients_for

__all__ = ["EVENTS", "Event", "recipients_for"]
