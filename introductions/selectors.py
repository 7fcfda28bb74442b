"""Reads of introductions: the agent's offers, needs, matchmaking profiles and
introductions, and the suggested matches, found by one set-based query and never for a
client who has not agreed to be introduced."""

import re
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from agentcrm.accounts.models import User
from agentcrm.core.db import is_postgresql
from clients.models import Client, FamilyMember
from clients.selectors import phone_digits_q

from .models import Introduction, MatchProfile, Need, Offer


def offers_for_user(*, user: User) -> QuerySet[Offer]:
    if not user.is_authenticated:
        return Offer.objects.none()
    return Offer.objects.filter(client__owner=user)


def needs_for_user(*, user: User) -> QuerySet[Need]:
    if not user.is_authenticated:
        return Need.objects.none()
    return Need.objects.filter(client__owner=user)


def profiles_for_user(*, user: User) -> QuerySet[MatchProfile]:
    if not user.is_authenticated:
        return MatchProfile.objects.none()
    return MatchProfile.objects.filter(client__owner=user)


def introductions_for_user(*, user: User) -> QuerySet[Introduction]:
    if not user.is_authenticated:
        return Introduction.objects.none()
    return Introduction.objects.filter(owner=user)


def get_offer_for_user(*, user: User, pk: int) -> Offer:
    return get_object_or_404(offers_for_user(user=user).select_related("client"), pk=pk)


def get_need_for_user(*, user: User, pk: int) -> Need:
    return get_object_or_404(needs_for_user(user=user).select_related("client"), pk=pk)


def get_profile_for_user(*, user: User, pk: int) -> MatchProfile:
    return get_object_or_404(profiles_for_user(user=user).select_related("client", "member"), pk=pk)


def get_introduction_for_user(*, user: User, pk: int) -> Introduction:
    return get_object_or_404(introductions_for_user(user=user), pk=pk)


def consented_q(prefix: str = "") -> Q:
    """The client agreed to be introduced: an offer or a need of theirs carries the date."""
    return Q(**{f"{prefix}intro_offers__consent_on__isnull": False}) | Q(
        **{f"{prefix}intro_needs__consent_on__isnull": False}
    )


@dataclass
class Suggestion:
    offer: Offer
    client: Client
    by_need: bool
    by_tag: bool
    by_interest: bool
    by_segment: bool


# One statement for every offer of the agent: each consenting offer (its client live and
# not do-not-contact) against every other live client of the agent who agreed to be
# introduced, matched by a consenting need (the kind the offer serves, or a keyword in its
# details), a tag equal to a keyword, a keyword in the interests, or the offer's segment;
# pairs already introduced through the offer are left out.
SUGGESTIONS_SQL = """
WITH o AS (
    SELECT o.id, o.client_id, o.serves, o.segment,
           array_remove(regexp_split_to_array(lower(trim(o.keywords)), '[\\s,，、;；/]+'), '')
               AS kws
    FROM introductions_offer o
    JOIN clients_client oc ON oc.id = o.client_id
    WHERE oc.owner_id = %(owner)s AND o.consent_on IS NOT NULL AND oc.archived_at IS NULL
      AND oc.merged_into_id IS NULL AND NOT oc.do_not_contact AND oc.erased_at IS NULL
), c AS (
    SELECT c.id, lower(c.interests) AS interests
    FROM clients_client c
    WHERE c.owner_id = %(owner)s AND c.archived_at IS NULL AND c.merged_into_id IS NULL
      AND NOT c.do_not_contact AND c.erased_at IS NULL
      AND (EXISTS (SELECT 1 FROM introductions_need n
                   WHERE n.client_id = c.id AND n.consent_on IS NOT NULL)
           OR EXISTS (SELECT 1 FROM introductions_offer x
                      WHERE x.client_id = c.id AND x.consent_on IS NOT NULL))
), pairs AS (
    SELECT o.id AS offer_id, c.id AS client_id,
        EXISTS (SELECT 1 FROM introductions_need n
                WHERE n.client_id = c.id AND n.consent_on IS NOT NULL
                  AND (n.kind = o.serves OR EXISTS (
                      SELECT 1 FROM unnest(o.kws) k
                      WHERE position(k IN lower(n.description)) > 0))) AS by_need,
        EXISTS (SELECT 1 FROM clients_client_tags ct JOIN clients_tag t ON t.id = ct.tag_id
                WHERE ct.client_id = c.id AND lower(t.name) = ANY (o.kws)) AS by_tag,
        EXISTS (SELECT 1 FROM unnest(o.kws) k
                WHERE c.interests <> '' AND position(k IN c.interests) > 0) AS by_interest,
        (o.segment <> '' AND EXISTS (
            SELECT 1 FROM clients_client_segments cs JOIN clients_segment s ON s.id = cs.segment_id
            WHERE cs.client_id = c.id AND s.code = o.segment)) AS by_segment
    FROM o JOIN c ON c.id <> o.client_id
    WHERE NOT EXISTS (SELECT 1 FROM introductions_introduction i
                      WHERE i.offer_id = o.id AND i.client_b_id = c.id)
)
SELECT offer_id, client_id, by_need, by_tag, by_interest, by_segment FROM pairs
WHERE by_need OR by_tag OR by_interest OR by_segment
ORDER BY offer_id DESC, (by_need::int + by_tag::int + by_interest::int + by_segment::int) DESC,
         client_id
LIMIT %(limit)s
"""


# The same matching in SQL that SQLite (the embedded stack of `make run`) and PostgreSQL both
# run: no arrays and no regular expressions. The offers' keywords, split in Python (the
# agent's own consenting offers, a few dozen rows, never the clients), come in as the rows
# of `kw` (the offer, the word escaped for LIKE, the word as typed, which a tag must equal).
# Each way of matching is one join that yields its hits, grouped per (offer, client) pair:
# on SQLite that is about 18 times faster than four correlated EXISTS per pair, as
# SUGGESTIONS_SQL does (bench/introduction_matching.py: 5,000 clients, 1,500 needs, 30
# offers). PostgreSQL keeps its own statement, which it runs faster. %(kw)s is that table.
PORTABLE_SUGGESTIONS_SQL = """
WITH kw (offer_id, word, raw) AS (%(kw)s),
o AS (
    SELECT o.id, o.client_id, o.serves, o.segment
    FROM introductions_offer o
    JOIN clients_client oc ON oc.id = o.client_id
    WHERE oc.owner_id = %%s AND o.consent_on IS NOT NULL AND oc.archived_at IS NULL
      AND oc.merged_into_id IS NULL AND NOT oc.do_not_contact AND oc.erased_at IS NULL
), c AS (
    SELECT c.id, lower(c.interests) AS interests
    FROM clients_client c
    WHERE c.owner_id = %%s AND c.archived_at IS NULL AND c.merged_into_id IS NULL
      AND NOT c.do_not_contact AND c.erased_at IS NULL
      AND (EXISTS (SELECT 1 FROM introductions_need n
                   WHERE n.client_id = c.id AND n.consent_on IS NOT NULL)
           OR EXISTS (SELECT 1 FROM introductions_offer x
                      WHERE x.client_id = c.id AND x.consent_on IS NOT NULL))
), hits (offer_id, client_id, by_need, by_tag, by_interest, by_segment) AS (
    SELECT o.id, n.client_id, 1, 0, 0, 0
    FROM o JOIN introductions_need n ON n.kind = o.serves AND n.consent_on IS NOT NULL
    JOIN c ON c.id = n.client_id
    UNION ALL
    SELECT kw.offer_id, n.client_id, 1, 0, 0, 0
    FROM kw JOIN introductions_need n
        ON n.consent_on IS NOT NULL
       AND lower(n.description) LIKE '%%%%' || kw.word || '%%%%' ESCAPE '!'
    JOIN c ON c.id = n.client_id
    UNION ALL
    SELECT kw.offer_id, ct.client_id, 0, 1, 0, 0
    FROM kw JOIN clients_tag t ON lower(t.name) = kw.raw
    JOIN clients_client_tags ct ON ct.tag_id = t.id
    JOIN c ON c.id = ct.client_id
    UNION ALL
    SELECT kw.offer_id, c.id, 0, 0, 1, 0
    FROM kw JOIN c ON c.interests <> '' AND c.interests LIKE '%%%%' || kw.word || '%%%%' ESCAPE '!'
    UNION ALL
    SELECT o.id, cs.client_id, 0, 0, 0, 1
    FROM o JOIN clients_segment s ON s.code = o.segment
    JOIN clients_client_segments cs ON cs.segment_id = s.id
    JOIN c ON c.id = cs.client_id
    WHERE o.segment <> ''
), pairs AS (
    SELECT h.offer_id, h.client_id, MAX(h.by_need) AS by_need, MAX(h.by_tag) AS by_tag,
           MAX(h.by_interest) AS by_interest, MAX(h.by_segment) AS by_segment
    FROM hits h JOIN o ON o.id = h.offer_id
    WHERE h.client_id <> o.client_id
      AND NOT EXISTS (SELECT 1 FROM introductions_introduction i
                      WHERE i.offer_id = h.offer_id AND i.client_b_id = h.client_id)
    GROUP BY h.offer_id, h.client_id
)
SELECT offer_id, client_id, by_need, by_tag, by_interest, by_segment FROM pairs
ORDER BY offer_id DESC, by_need + by_tag + by_interest + by_segment DESC, client_id
LIMIT %%s
"""

# The separators of an offer's keywords, as SUGGESTIONS_SQL splits them.
_KEYWORD_SEPARATORS = re.compile(r"[\s,，、;；/]+")


def offer_keywords(keywords: str) -> list[str]:
    """An offer's keywords as the matching reads them: lower case, split on spaces, commas
    (half- and full-width), 、, semicolons and slashes, each once."""
    return list(dict.fromkeys(w for w in _KEYWORD_SEPARATORS.split(keywords.strip().lower()) if w))


def _like_escaped(word: str) -> str:
    return word.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _postgresql_rows(*, user: User, limit: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(SUGGESTIONS_SQL, {"owner": user.pk, "limit": limit})
        return cursor.fetchall()


def portable_suggestion_rows(*, user: User, limit: int) -> list[tuple]:
    """SUGGESTIONS_SQL's rows (offer id, client id, by need, by tag, by interest, by segment)
    in SQL both SQLite and PostgreSQL run: two queries (the offers' keywords, the match)."""
    words = [
        (offer_id, word)
        for offer_id, keywords in Offer.objects.filter(
            client__owner=user, consent_on__isnull=False
        ).values_list("id", "keywords")
        for word in offer_keywords(keywords)
    ]
    params: list = []
    if words:
        # VALUES, not UNION ALL: SQLite caps a compound SELECT at 500 terms, not VALUES rows.
        kw = "VALUES " + ", ".join(["(%s, %s, %s)"] * len(words))
        for offer_id, word in words:
            params += [offer_id, _like_escaped(word), word]
    else:
        kw = (
            "SELECT CAST(NULL AS INTEGER), CAST(NULL AS VARCHAR(200)),"
            " CAST(NULL AS VARCHAR(200)) WHERE 1 = 0"
        )
    sql = PORTABLE_SUGGESTIONS_SQL % {"kw": kw}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, user.pk, user.pk, limit])
        return [(o, c, *(bool(flag) for flag in flags)) for o, c, *flags in cursor.fetchall()]


def suggested_matches(*, user: User, limit: int = 50) -> list[Suggestion]:
    """The suggested introductions: three queries on PostgreSQL, four on SQLite, whatever
    the size of the book (SQLite runs the portable statement, PostgreSQL its own)."""
    if not user.is_authenticated:
        return []
    if is_postgresql():
        rows = _postgresql_rows(user=user, limit=limit)
    else:
        rows = portable_suggestion_rows(user=user, limit=limit)
    if not rows:
        return []
    offers = Offer.objects.select_related("client").in_bulk({r[0] for r in rows})
    clients = Client.objects.filter(owner=user).in_bulk({r[1] for r in rows})
    return [
        Suggestion(offers[o], clients[c], *flags)
        for o, c, *flags in rows
        if o in offers and c in clients
    ]


def match_candidates(*, user: User) -> list[MatchProfile]:
    """The agent's active matchmaking profiles, each person opted in."""
    return list(
        profiles_for_user(user=user)
        .filter(active=True, client__archived_at__isnull=True, client__erased_at__isnull=True)
        .select_related("client", "member")
    )


def recent_introductions(*, user: User, limit: int = 30) -> list[Introduction]:
    return list(
        introductions_for_user(user=user).select_related(
            "client_a",
            "client_b",
            "offer",
            "profile_a__member",
            "profile_b__member",
            "profile_a__client",
            "profile_b__client",
        )[:limit]
    )


def service_panel_context(agent: User, start: date, end: date) -> dict:
    """The service page's card: introductions made in the period (business, matchmaking),
    follow-ups still open and how many went well. Counts only; one query."""
    counts = Introduction.objects.filter(owner=agent).aggregate(
        made=Count("pk", filter=Q(introduced_on__range=(start, end))),
        business=Count("pk", filter=Q(introduced_on__range=(start, end), kind="business")),
        matchmaking=Count("pk", filter=Q(introduced_on__range=(start, end), kind="matchmaking")),
        open_follow_ups=Count("pk", filter=Q(outcome="")),
        went_well=Count("pk", filter=Q(introduced_on__range=(start, end), outcome="went_well")),
    )
    return {"introductions": counts}


def client_introductions_panel(client: Client) -> dict:
    """The client page's card: the client's offers and needs with their consent, and the
    introductions they were part of. Three queries."""
    return {
        "client": client,
        "offers": list(client.intro_offers.all()),
        "needs": list(client.intro_needs.all()),
        "introductions": list(
            Introduction.objects.filter(Q(client_a=client) | Q(client_b=client))
            .select_related("client_a", "client_b", "offer")
            .order_by("-introduced_on", "-id")[:5]
        ),
    }


# ---------------------------------------------------------------------------------------
# The page's pickers: what each accepts (the agent's own, live records; for an introduction,
# only what was agreed to), and the first PICKER_LIMIT matches of what the agent typed.
# ---------------------------------------------------------------------------------------

# How many rows a picker lists at a time: it narrows as the agent types.
PICKER_LIMIT = 20


def live_clients_for_user(*, user: User) -> QuerySet[Client]:
    """The agent's clients who can take part: not archived, merged away or erased."""
    if not user.is_authenticated:
        return Client.objects.none()
    return Client.objects.filter(
        owner=user, archived_at__isnull=True, merged_into__isnull=True, erased_at__isnull=True
    )


def consenting_clients_for_user(*, user: User) -> QuerySet[Client]:
    """The live clients who agreed to be introduced (a dated offer or need) and may be
    contacted: the only ones an introduction may be made to."""
    # EXISTS, not IN (a DISTINCT over two outer joins): 8 ms instead of 550 ms for 5,000
    # clients (bench/introduction_matching.py).
    agreed = Exists(Offer.objects.filter(client=OuterRef("pk"), consent_on__isnull=False)) | Exists(
        Need.objects.filter(client=OuterRef("pk"), consent_on__isnull=False)
    )
    return live_clients_for_user(user=user).filter(agreed, do_not_contact=False)


def consenting_offers_for_user(*, user: User) -> QuerySet[Offer]:
    """The offers whose client agreed to be introduced for them, live and contactable."""
    return offers_for_user(user=user).filter(
        consent_on__isnull=False,
        client__in=live_clients_for_user(user=user).filter(do_not_contact=False),
    )


def family_for_user(*, user: User) -> QuerySet[FamilyMember]:
    return FamilyMember.objects.filter(client__in=live_clients_for_user(user=user))


def active_profiles_for_user(*, user: User) -> QuerySet[MatchProfile]:
    """The people on the matchmaking list who still look (each opted in)."""
    return profiles_for_user(user=user).filter(
        active=True, client__in=live_clients_for_user(user=user)
    )


# A picker's kind -> (what it accepts for the agent, how a search narrows it, its order).
PICKER_KINDS = {
    "client": (live_clients_for_user, ("name",), ("name", "id")),
    "consenting": (consenting_clients_for_user, ("name",), ("name", "id")),
    "offer": (consenting_offers_for_user, ("title", "client__name"), ("client__name", "id")),
    "member": (family_for_user, ("name", "client__name"), ("client__name", "name", "id")),
    "profile": (
        active_profiles_for_user,
        ("client__name", "member__name"),
        ("client__name", "id"),
    ),
}
_RELATED = {"offer": ("client",), "member": ("client",), "profile": ("client", "member")}


def picker_scope(*, user: User, kind: str) -> QuerySet:
    """Everything a picker of `kind` accepts for the agent (a form field's queryset)."""
    scope, _fields, order = PICKER_KINDS[kind]
    return scope(user=user).select_related(*_RELATED.get(kind, ())).order_by(*order)


def picker_matches(*, user: User, kind: str, q: str = "") -> QuerySet:
    """The first PICKER_LIMIT of the scope whose name (a client's mobile, from 3 digits; an
    offer's title; the client's name for a family member or a profile) matches `q`: one
    query, run when the result is read."""
    _scope, fields, _order = PICKER_KINDS[kind]
    qs = picker_scope(user=user, kind=kind)
    q = q.strip()[:100]
    if q:
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__icontains": q})
        if kind in ("client", "consenting"):
            match |= phone_digits_q(q, "mobile")
        qs = qs.filter(match)
    return qs[:PICKER_LIMIT]
