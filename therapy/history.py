"""The change history of clinical records (django-simple-history), and reading it back.

Couples, partners, assignments, sessions, notes, alerts (their acknowledgements included) and
worksheet templates keep a history row for every change: who (the signed-in staff member, or
none for a partner's own change or the system's), when, and the record as it then was. The
rows have no database link to the record, so they outlive its deletion, for as long as the
retention rule keeps them (therapy/retention.py).

A queryset's update() skips save(), and with it the history; `record_update` is how code that
updates in bulk writes the history rows itself.
"""

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from clients.models import Couple, Partner
from therapy.models import Alert, CounselingSession, CounselorNote
from worksheets.models import Assignment

_KIND = {"+": "added", "~": "changed", "-": "deleted"}
# Fields whose change says nothing to a reader of the history.
_QUIET_FIELDS = {"id", "created_at", "updated_at"}


def record_update(model, pks, *, reason: str = "") -> None:
    """History rows for the rows of `model` an update() just changed."""
    changed = list(model.objects.filter(pk__in=list(pks)))
    if changed:
        model.history.bulk_history_create(changed, update=True, default_change_reason=reason)


@dataclass(frozen=True)
class Change:
    at: datetime
    who: str
    what: str  # "Partner Sam", "Assignment Weekly check-in", ...
    kind: str  # added, changed, deleted
    fields: list[str]  # the fields a change touched, by their labels
    reason: str


def _label(model, row) -> str:
    name = model._meta.verbose_name.capitalize()
    if model is Partner:
        return f"{name} {row.display_name}"
    if model is Assignment:
        return f"{name} {row.template.title}" if row.template_id else name
    if model is Alert:
        return f"{name}: {row.get_kind_display().lower()}"
    return name


def _history_of(couple: Couple):
    """Each tracked model with the history rows that belong to `couple`, deleted records
    included (the rows keep the couple's id)."""
    yield Couple, Couple.history.filter(id=couple.pk)
    yield Partner, Partner.history.filter(couple_id=couple.pk)
    yield Assignment, Assignment.history.filter(couple_id=couple.pk).select_related("template")
    yield CounselingSession, CounselingSession.history.filter(couple_id=couple.pk)
    yield CounselorNote, CounselorNote.history.filter(couple_id=couple.pk)
    yield Alert, Alert.history.filter(couple_id=couple.pk)


def couple_history(couple: Couple, *, limit: int = 60) -> list[Change]:
    """The newest `limit` changes to the couple's records, newest first. One query per kind
    of record, however long the history."""
    changes = []
    for model, rows in _history_of(couple):
        rows = list(rows.select_related("history_user").order_by("id", "history_date"))
        fields = [f for f in model._meta.concrete_fields if f.attname not in _QUIET_FIELDS]
        previous_of = {}
        for before, after in pairwise(rows):
            if before.id == after.id:
                previous_of[after.history_id] = before
        for row in rows:
            before = previous_of.get(row.history_id)
            touched = []
            if row.history_type == "~" and before is not None:
                touched = [
                    str(f.verbose_name)
                    for f in fields
                    if getattr(before, f.attname) != getattr(row, f.attname)
                ]
                if not touched and not row.history_change_reason:
                    continue  # saved without a change
            changes.append(
                Change(
                    at=row.history_date,
                    who=_who(row),
                    what=_label(model, row),
                    kind=_KIND[row.history_type],
                    fields=touched,
                    reason=row.history_change_reason or "",
                )
            )
    changes.sort(key=lambda c: c.at, reverse=True)
    return changes[:limit]


def _who(row) -> str:
    user = row.history_user
    if user is None:
        return "Partner or system"
    return user.get_full_name() or user.get_username()
