"""The occasion registry. Apps describe their occasion kinds here from `AppConfig.ready()`;
the engine builds touches for whatever is registered and knows no app by name.

An occasion kind answers one question per build day: given the day a touch falls due and the
agents it is built for, which (agent, client, occasion date, source, label) rows are there?
It answers with a queryset, never with Python loops, so the engine can turn it into a single
INSERT … SELECT. This module imports no models: any app may import it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

if TYPE_CHECKING:
    from django.db.models import QuerySet


@dataclass(frozen=True)
class BuildScope:
    """One source call: the day touches fall due and the lead in days, so the occasion is
    on `due + lead`. The engine narrows the answer to the agents and clients being built."""

    due: date
    lead_days: int

    @property
    def occasion(self) -> date:
        return self.due + timedelta(days=self.lead_days)


# A source returns querysets annotated with t_owner, t_client, t_occasion, t_source and
# t_label; t_occasion is a date expression (a Value or a column).
Source = Callable[[BuildScope], "list[QuerySet[Any]]"]


@dataclass(frozen=True)
class OccasionKind:
    key: str
    label: Any  # a lazy translation
    source: Source
    default_lead_days: int = 0
    priority: int = 3  # Touch.Priority: 1 urgent, 2 high, 3 normal
    # Fixed-lead kinds (a hospital visit, a grace period ending) ignore the agent's lead.
    lead_configurable: bool = True
    # The built-in wording; {name} is the client's name, {label} the touch's label.
    greeting: Any = ""
    order: int = 100  # position on the settings page
    # A record changed today also gets the occasions nearer than the lead (due today). Off
    # for kinds whose lead is not "days before the occasion" (neglect counts silent days).
    late_catch: bool = True
    # How the stored label reads (the label column holds a key or a name): None shows it as is.
    display_label: Callable[[str], str] | None = None


_kinds: dict[str, OccasionKind] = {}


def register_occasion(kind: OccasionKind) -> None:
    if kind.key in _kinds and _kinds[kind.key] is not kind:
        raise ValueError(f"occasion kind {kind.key!r} is registered twice")
    _kinds[kind.key] = kind


def occasion_kinds() -> dict[str, OccasionKind]:
    return dict(sorted(_kinds.items(), key=lambda item: (item[1].order, item[0])))


def occasion_kind(key: str) -> OccasionKind | None:
    return _kinds.get(key)


# Sent by the touch list when an agent marks a touch done, with kind, source, owner_id,
# client_id and by: an app whose occasion needs bookkeeping (a referrer was reported back to)
# listens for its own kind.
touch_done = Signal()

# Sent by an app, with kind, source and owner_id, when the occasion behind its touches was
# dealt with outside the touch list: the touch list closes the open touches of that source.
occasion_resolved = Signal()


# (client id, owner id) of the client whose touches a saved object affects, or None.
ClientOf = Callable[[Any], "tuple[int, int] | None"]


@dataclass(frozen=True)
class _Rebuild:
    """An on-commit callback that queues one client's rebuild. Equal for the same client,
    so a transaction that saves many of a client's objects queues it once."""

    client_id: int
    owner_id: int

    def __call__(self) -> None:
        from agentcrm.core.broker import task_send

        from .tasks import rebuild_client_touches

        args = (self.client_id, self.owner_id)
        if not task_send(task=rebuild_client_touches, args=args):
            # The broker is down. The nightly build only adds new days, so a rebuild not
            # queued now would never happen: build this client's few days here instead.
            rebuild_client_touches(*args)


def _queue_rebuild(client_id: int, owner_id: int) -> None:
    from django.db import connection, transaction

    callback = _Rebuild(client_id, owner_id)
    if connection.in_atomic_block:
        # Already queued at this level or an enclosing one: it runs whenever this would.
        current = set(connection.savepoint_ids)
        if any(
            func == callback and set(sids) <= current
            for sids, func, _robust in connection.run_on_commit
        ):
            return
    transaction.on_commit(callback)


def register_client_trigger(model: Any, client_of: ClientOf) -> None:
    """Saving a `model` instance rebuilds its client's touches for the days already built
    (after the transaction commits, in a task). Apps call this for the objects their
    occasion kinds read, so the engine needs no list of them."""
    from django.db.models.signals import post_save

    def changed(sender, instance, raw=False, **kwargs):
        if raw:  # loaddata
            return
        ids = client_of(instance)
        if ids:
            _queue_rebuild(*ids)

    post_save.connect(
        changed, sender=model, weak=False, dispatch_uid=f"touch-rebuild:{model._meta.label}"
    )
