"""The caps against expensive gifts (送贵重礼品): the defaults per client tier, and the
warnings a new gift gets. Pure functions over figures read by the selectors."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from agentcrm.core.money import money_text

# Yuan: (per gift, per client per year), by tier (clients.models.Client.Tier). A tier scales
# both: a diamond client's birthday may warrant more than a standard one's, never a
# "precious" gift. The agent sets their own on the gift settings page (GiftCap).
DEFAULT_CAPS = {
    "standard": (Decimal("200"), Decimal("500")),
    "silver": (Decimal("300"), Decimal("800")),
    "gold": (Decimal("500"), Decimal("1500")),
    "diamond": (Decimal("800"), Decimal("2500")),
}


@dataclass(frozen=True)
class Caps:
    per_gift: Decimal
    per_year: Decimal


def normalised(what: str) -> str:
    return "".join(what.split()).casefold()


def gift_warnings(
    *,
    cost: Decimal,
    caps: Caps,
    year_before: Decimal,
    previous_what: str | None,
    what: str,
    tier_label: str,
) -> list[str]:
    warnings = []
    if cost > caps.per_gift:
        warnings.append(
            _(
                "%(cost)s is above your cap of %(cap)s per gift for a %(tier)s client. The "
                "deck warns against expensive gifts: the thought counts, not the price."
            )
            % {"cost": money_text(cost), "cap": money_text(caps.per_gift), "tier": tier_label}
        )
    total = year_before + cost
    if total > caps.per_year:
        warnings.append(
            _(
                "With this gift the client's gifts this year come to %(total)s, above your "
                "cap of %(cap)s per client per year."
            )
            % {"total": money_text(total), "cap": money_text(caps.per_year)}
        )
    if previous_what is not None and normalised(previous_what) == normalised(what):
        warnings.append(
            _("The last gift to this client was also “%(what)s”: perhaps something else this time?")
            % {"what": previous_what}
        )
    return warnings
