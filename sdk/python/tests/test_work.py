"""The work queue: an item whose run returned a future frees its thread at once and stays active
(redeliveries ignored, ``stop`` waits for it) until the future is done."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Optional

from fake_core import WAIT
from trainingcore._work import WorkQueue


def test_a_settling_item_frees_its_thread_and_stays_active_until_done() -> None:
    started: queue.Queue[str] = queue.Queue()
    settling: dict[str, Future[None]] = {}

    def run(item: str) -> Optional[Future[None]]:
        started.put(item)
        if item.startswith("plain"):
            return None
        settling[item] = Future()
        return settling[item]

    work: WorkQueue[str] = WorkQueue("test item", 1, lambda item: item, run)
    assert work.offer("a")
    assert started.get(timeout=WAIT) == "a"
    assert work.offer("b")  # one thread: it runs while a awaits its future
    assert started.get(timeout=WAIT) == "b"
    assert not work.offer("a")  # still active
    settling["a"].set_result(None)
    assert not work.offer("a")  # finished recently
    assert work.offer("plain")
    assert started.get(timeout=WAIT) == "plain"

    stopped = threading.Event()
    stopper = threading.Thread(target=lambda: (work.stop(WAIT), stopped.set()))
    stopper.start()
    assert not stopped.wait(0.3)  # b has not settled
    settling["b"].set_exception(RuntimeError("refused"))
    assert stopped.wait(WAIT)
    stopper.join()
    assert not work.offer("c")  # stopped


def test_stop_gives_up_on_a_future_after_its_timeout() -> None:
    never: Future[None] = Future()
    started = threading.Event()

    def run(_item: str) -> Future[None]:
        started.set()
        return never

    work: WorkQueue[str] = WorkQueue("test item", 1, lambda item: item, run)
    work.offer("a")
    assert started.wait(WAIT)
    work.stop(0.05)  # returns: the outbox's close settles what is left
    never.set_result(None)
