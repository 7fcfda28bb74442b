"""Client triggers, wired: a saved object queues its client's touch rebuild after commit.

`touches.registry.register_client_trigger` only records which models feed which kinds;
`connect_client_triggers` (called from `TouchesConfig.ready()`, once every app registered)
connects them to `post_save`. A transaction that saves many of a client's objects queues
that client once, for the union of the kinds they feed.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models.signals import post_save

from .registry import ClientTrigger, client_triggers


@dataclass(eq=False)
class _Rebuild:
    """An on-commit callback that queues one client's rebuild of `kinds` (None: all)."""

    client_id: int
    owner_id: int
    kinds: set[str] | None = field(default=None)

    def same_client(self, other: object) -> bool:
        return isinstance(other, _Rebuild) and (other.client_id, other.owner_id) == (
            self.client_id,
            self.owner_id,
        )

    def widen(self, kinds: frozenset[str] | None) -> None:
        if self.kinds is None or kinds is None:
            self.kinds = None
        else:
            self.kinds |= kinds

    def __call__(self) -> None:
        from agentcrm.core.broker import task_send

        from .tasks import rebuild_client_touches

        kinds = sorted(self.kinds) if self.kinds is not None else None
        args = (self.client_id, self.owner_id, kinds)
        if not task_send(task=rebuild_client_touches, args=args):
            # The broker is down. The nightly build only adds new days, so a rebuild not
            # queued now would never happen: build this client's few days here instead.
            rebuild_client_touches(*args)


def queue_rebuild(client_id: int, owner_id: int, kinds: frozenset[str] | None = None) -> None:
    """Rebuild one client's touches of `kinds` (None: every kind) once the transaction
    commits; a rebuild of the same client already queued in it is widened instead."""
    callback = _Rebuild(client_id, owner_id, set(kinds) if kinds is not None else None)
    if connection.in_atomic_block:
        # Already queued at this level or an enclosing one: it runs whenever this would.
        current = set(connection.savepoint_ids)
        for sids, func, _robust in connection.run_on_commit:
            if callback.same_client(func) and set(sids) <= current:
                func.widen(kinds)
                return
    transaction.on_commit(callback)


# Set inside `rebuilds_collected()`: the clients whose saves would each queue a rebuild.
_collecting: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "touch_rebuilds_collected", default=None
)


@contextmanager
def rebuilds_collected() -> Iterator[dict[tuple[int, int], set[str] | None]]:
    """A bulk write (the demo book, an import, a handover, a merge): saves inside it record
    their clients instead of queueing one rebuild task each; on leaving, the caller rebuilds
    them all at once (`touches.build.touch_rebuild_collected`). Yields {(client, owner):
    kinds or None for every kind}."""
    collected: dict[tuple[int, int], set[str] | None] = {}
    token = _collecting.set(collected)
    try:
        yield collected
    finally:
        _collecting.reset(token)


def _receiver(trigger: ClientTrigger):
    def changed(sender, instance, raw=False, **kwargs):
        if raw:  # loaddata
            return
        ids = trigger.client_of(instance)
        if not ids:
            return
        collecting = _collecting.get()
        if collecting is not None:
            known = collecting.get(ids, set())
            if known is None or trigger.kinds is None:
                collecting[ids] = None
            else:
                collecting[ids] = known | trigger.kinds
            return
        queue_rebuild(*ids, kinds=trigger.kinds)

    return changed


def connect_client_triggers() -> None:
    for trigger in client_triggers():
        post_save.connect(
            _receiver(trigger),
            sender=trigger.model,
            weak=False,
            dispatch_uid=f"touch-rebuild:{trigger.model._meta.label}",
        )
