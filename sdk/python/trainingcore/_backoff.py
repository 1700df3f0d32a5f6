"""Exponential backoff with full jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Reconnect:
    """Delays between reconnects (and retries of an UNAVAILABLE ack), in seconds: attempt n
    waits a random time in [0, min(max_delay, initial_delay * 2**n))."""

    initial_delay: float = 0.25
    max_delay: float = 30.0


def jittered_delay(options: Reconnect, attempt: int, rand: random.Random | None = None) -> float:
    """A random delay in [0, min(max_delay, initial_delay * 2**attempt)) ("full jitter")."""
    cap = min(options.max_delay, options.initial_delay * 2 ** min(attempt, 60))
    return (rand or random).random() * cap


class Backoff:
    """Successive jittered delays; ``reset()`` starts over."""

    def __init__(self, options: Reconnect) -> None:
        self._options = options
        self._attempt = 0

    def next(self) -> float:
        delay = jittered_delay(self._options, self._attempt)
        self._attempt += 1
        return delay

    def reset(self) -> None:
        self._attempt = 0
