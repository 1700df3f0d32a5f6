"""Runs work items (jobs, prescription requests) on ``concurrency`` threads, in arrival order,
ignoring an item whose key is queued, running or finished recently (delivery is at least
once). An item's run may return a ``Future``: its thread then takes the next item at once, and
the item counts as active (a redelivery is ignored, ``stop`` waits for it) until the future is
done; a prescription request's answer waiting for its Ack does not hold a thread."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, Generic, Optional, TypeVar

log = logging.getLogger("trainingcore")

T = TypeVar("T")
REMEMBERED = 10_000


class WorkQueue(Generic[T]):
    def __init__(
        self,
        name: str,
        concurrency: int,
        key: Callable[[T], Hashable],
        run: Callable[[T], Optional["Future[Any]"]],
    ) -> None:
        self._name = name
        self._key = key
        self._run = run
        self._queue: deque[T] = deque()
        self._active: set[Hashable] = set()
        self._finished: OrderedDict[Hashable, None] = OrderedDict()
        self._running = 0
        self._settling = 0  # items whose run returned, waiting for their future
        self._condition = threading.Condition()
        self.stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._worker, name=f"trainingcore-{name}-{i}", daemon=True)
            for i in range(concurrency)
        ]
        for thread in self._threads:
            thread.start()

    def offer(self, item: T) -> bool:
        """Queues ``item``; False (ignored) when it is a redelivery or the queue stopped."""
        key = self._key(item)
        with self._condition:
            if self.stopping.is_set():
                return False
            if key in self._active or key in self._finished:
                log.info("repeated %s %s ignored", self._name, key)
                return False
            self._active.add(key)
            self._queue.append(item)
            self._condition.notify()
            return True

    def stop(self, timeout: float) -> None:
        """Drops queued items, sets ``stopping`` and waits for running and settling ones, at
        most ``timeout`` seconds."""
        with self._condition:
            self.stopping.set()
            for item in self._queue:
                self._active.discard(self._key(item))
            self._queue.clear()
            self._condition.notify_all()
            self._condition.wait_for(
                lambda: self._running == 0 and self._settling == 0, timeout=timeout
            )

    def _worker(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._queue or self.stopping.is_set())
                if self.stopping.is_set():
                    return
                item = self._queue.popleft()
                self._running += 1
            key = self._key(item)
            settling: Optional[Future[Any]] = None
            try:
                settling = self._run(item)
            except BaseException:  # noqa: BLE001 - a worker never dies
                log.exception("%s %s failed", self._name, key)
            finally:
                with self._condition:
                    self._running -= 1
                    if settling is None:
                        self._finish(key)
                    else:
                        self._settling += 1
                    self._condition.notify_all()
            if settling is not None:
                settling.add_done_callback(lambda _done, key=key: self._settled(key))

    def _settled(self, key: Hashable) -> None:
        with self._condition:
            self._settling -= 1
            self._finish(key)
            self._condition.notify_all()

    def _finish(self, key: Hashable) -> None:
        self._active.discard(key)
        self._finished[key] = None
        if len(self._finished) > REMEMBERED:
            self._finished.popitem(last=False)
