"""Reporting periods of the referral statistics pages: `Period`, what the analytics and team
selectors take, and the presets each page offers.

`forms.PeriodForm` reads a period the same way on every page: dates chosen by hand win over
a preset, and nothing asked for (or nonsense) gives the page's default preset. What differs
between the pages is their preset set:

- `TEAM_PRESETS`, the manager's team pages: this month, the last 3 months, this year and
  the last 12 months (the default), each ending today and starting on a month's first day,
  so the monthly trend shows whole months. Dates chosen by hand with one end missing are
  completed (the end: today, or the start when it is later; the start: the last 12 months
  counted back from the end) and span at most MAX_PERIOD_YEARS.
- `ANALYTICS_PRESETS`, the agent's influence and sources pages: the 12 months up to today
  (day for day), this year, last year and all time. Dates chosen by hand with no start
  have no lower bound; with no end they end today.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import years_before


@dataclass(frozen=True)
class Period:
    """Both ends included; `start` None: since the beginning."""

    start: datetime.date | None
    end: datetime.date
    preset: str = ""  # "" for dates chosen by hand


class Presets:
    """The preset periods a page offers, its default, and how it completes dates chosen by
    hand."""

    labels: dict[str, str]  # key → label, in the order of the page's links
    default: str

    def period(self, preset: str, *, today: datetime.date) -> Period:
        raise NotImplementedError

    def chosen(
        self, *, start: datetime.date | None, end: datetime.date | None, today: datetime.date
    ) -> Period:
        """The period for dates chosen by hand (at least one of them given); a
        ValidationError when the page cannot show it."""
        raise NotImplementedError


def _backwards() -> ValidationError:
    return ValidationError(gettext("The start of the period is after its end."))


# --- The manager's team pages: whole months ---------------------------------------------------

THIS_MONTH = "this_month"
LAST_3_MONTHS = "last_3_months"
THIS_YEAR = "this_year"
LAST_12_MONTHS = "last_12_months"
# A longer custom period is refused: the trend would list more months than a chart can show.
MAX_PERIOD_YEARS = 10


def _month_start(day: datetime.date, *, back: int = 0) -> datetime.date:
    """The first day of the month `back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_for_preset(*, preset: str, today: datetime.date) -> Period:
    """A team preset. Presets end today and start on a month's first day, so the trend shows
    whole months (the current one so far)."""
    back = {THIS_MONTH: 0, LAST_3_MONTHS: 2, LAST_12_MONTHS: 11}
    if preset == THIS_YEAR:
        return Period(datetime.date(today.year, 1, 1), today, preset)
    if preset not in back:
        raise ValueError(preset)
    return Period(_month_start(today, back=back[preset]), today, preset)


def months_between(*, start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first day of every month from start's to end's, both included."""
    first, last = _month_start(start), _month_start(end)
    months = []
    while first <= last:
        months.append(first)
        first = _month_start(first + datetime.timedelta(days=31))
    return months


class TeamPresets(Presets):
    labels = {
        THIS_MONTH: _("This month"),
        LAST_3_MONTHS: _("Last 3 months"),
        THIS_YEAR: _("This year"),
        LAST_12_MONTHS: _("Last 12 months"),
    }
    default = LAST_12_MONTHS

    def period(self, preset: str, *, today: datetime.date) -> Period:
        return period_for_preset(preset=preset, today=today)

    def chosen(
        self, *, start: datetime.date | None, end: datetime.date | None, today: datetime.date
    ) -> Period:
        end = end or max(today, start)
        start = start or self.period(self.default, today=end).start
        if start > end:
            raise _backwards()
        if (end - start).days > MAX_PERIOD_YEARS * 366:
            raise ValidationError(
                gettext("Choose a period of at most %(years)d years.") % {"years": MAX_PERIOD_YEARS}
            )
        return Period(start, end)


TEAM_PRESETS = TeamPresets()


# --- The agent's analytics pages: rolling 12 months, calendar years, all time --------------

LAST_12_MONTHS_ROLLING = "12m"
LAST_YEAR = "last_year"
ALL_TIME = "all"


class AnalyticsPresets(Presets):
    labels = {
        LAST_12_MONTHS_ROLLING: _("Last 12 months"),
        THIS_YEAR: _("This year"),
        LAST_YEAR: _("Last year"),
        ALL_TIME: _("All time"),
    }
    default = LAST_12_MONTHS_ROLLING

    def period(self, preset: str, *, today: datetime.date) -> Period:
        if preset == THIS_YEAR:
            return Period(today.replace(month=1, day=1), today, preset)
        if preset == LAST_YEAR:
            year = today.year - 1
            return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31), preset)
        if preset == ALL_TIME:
            return Period(None, today, preset)
        return Period(
            years_before(today, 1) + datetime.timedelta(days=1), today, LAST_12_MONTHS_ROLLING
        )

    def chosen(
        self, *, start: datetime.date | None, end: datetime.date | None, today: datetime.date
    ) -> Period:
        if start and end and start > end:
            raise _backwards()
        return Period(start, end or today)


ANALYTICS_PRESETS = AnalyticsPresets()
