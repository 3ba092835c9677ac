"""Which libraries the warm pool should keep sandboxes warm for: recent demand, in proportion.

A sandbox warms one library (or, for `None`, all three). The pool plans its standing
sandboxes from the libraries of the last few requests, so a run of one library converges to
sandboxes of that library; with no requests yet, every sandbox warms all three.
"""

from __future__ import annotations

from collections import Counter, deque

from orchestrator.executor.api import Library

Kind = Library | None  # what a sandbox warmed; None: all three


class Demand:
    def __init__(self, window: int) -> None:
        if window < 1:
            raise ValueError("the demand window must be >= 1")
        self._recent: deque[Kind] = deque(maxlen=window)

    def record(self, library: Kind) -> None:
        self._recent.append(library)

    def plan(self, size: int) -> Counter[Kind]:
        """`size` sandboxes split over the recent requests' libraries by largest remainder,
        ties going to the library asked for most recently."""
        if not self._recent:
            return Counter({None: size})
        counts = Counter(self._recent)
        total = len(self._recent)
        plan = Counter({kind: size * n // total for kind, n in counts.items()})
        latest = {kind: i for i, kind in enumerate(self._recent)}
        by_remainder = sorted(counts, key=lambda k: (size * counts[k] % total, latest[k]))
        for kind in by_remainder[len(by_remainder) - (size - plan.total()) :]:
            plan[kind] += 1
        return +plan


def covers(warm: Kind, wanted: Kind) -> bool:
    """Whether a sandbox warm for `warm` has all of `wanted`'s stack warm."""
    return warm is None or warm == wanted or (warm, wanted) == ("seaborn", "matplotlib")
