"""The service-page panels this app adds (touches.registry section 10): the deck's pitfalls
as figures. Rendered on the agent's own /service/ and on the manager's drill-down into one
agent, so they show counts and names with masked phones, never a client's file."""

import datetime

from django.utils import timezone

from agentcrm.core.masking import mask_phone

from .selectors import own


def weekly_panel(agent, start: datetime.date, end: datetime.date) -> dict:
    weekly = own.weekly_touches(agent=agent, today=min(end, timezone.localdate()))
    most = max((n for _w, n in weekly.weeks), default=0) or 1
    return {
        "weekly": weekly,
        "weekly_bars": [(week, n, round(n * 100 / most)) for week, n in weekly.weeks],
    }


def small_clients_panel(agent, start: datetime.date, end: datetime.date) -> dict:
    small = own.small_clients(agent=agent, end=end)
    small.below = [
        (pk, name, mask_phone(mobile), premium, contacts)
        for pk, name, mobile, premium, contacts in small.below
    ]
    return {"small": small, "floor": own.MIN_CONTACTS_A_YEAR}


def whole_days_panel(agent, start: datetime.date, end: datetime.date) -> dict:
    total, rows = own.whole_days(agent=agent, start=start, end=end)
    for row in rows:
        row.mobile = mask_phone(row.mobile)
    return {"whole_days_total": total, "whole_days": rows, "threshold": own.WHOLE_DAY_CONTACTS}
