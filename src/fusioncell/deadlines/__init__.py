"""Deadlines: one table and one engine for every clock of the product (docs/deadlines.md)."""

from fusioncell.deadlines.api import (
    ACK,
    CANCELLED,
    DONE,
    MET,
    OPEN,
    ack_key,
    close_deadline,
    escalation_plan,
    open_deadline,
)
from fusioncell.deadlines.projector import MISSED, NOTIFIED, project_deadline_entries
from fusioncell.deadlines.tables import deadlines

__all__ = [
    "ACK",
    "CANCELLED",
    "DONE",
    "MET",
    "MISSED",
    "NOTIFIED",
    "OPEN",
    "ack_key",
    "close_deadline",
    "deadlines",
    "escalation_plan",
    "open_deadline",
    "project_deadline_entries",
]
