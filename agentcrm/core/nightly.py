"""The registry of nightly steps (extension point 5 of `touches.registry`, which re-exports
it; the base keeps it because the base runs the nightly job and imports no domain app).

A step is a function of the day. Steps run one by one in ascending `order` (policies fall
into lapse before anything reads their status), each in its own error boundary.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

NightlyStep = Callable[[date], None]


@dataclass(frozen=True)
class _Step:
    name: str
    step: NightlyStep
    order: int


_steps: dict[str, _Step] = {}


def register_nightly_step(*, name: str, step: NightlyStep, order: int = 100) -> None:
    """Run `step(day)` in every nightly run; registering a name again replaces it."""
    _steps[name] = _Step(name=name, step=step, order=order)


def nightly_steps() -> dict[str, NightlyStep]:
    """The steps by name, in the order they run."""
    ordered = sorted(_steps.values(), key=lambda s: (s.order, s.name))
    return {s.name: s.step for s in ordered}
