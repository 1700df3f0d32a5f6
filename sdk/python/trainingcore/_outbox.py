"""Reports waiting for their Ack. Each is sent on the current stream; reports with the same
order key (a job, a prescription request) go one at a time, so they reach the core in the
order they were made, even across retries. When a stream drops, every report without an Ack is
sent again, in order, on the next one (reports are idempotent). An Ack with code UNAVAILABLE is
retried after a jittered delay."""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional, Union

import grpc

from ._backoff import Reconnect, jittered_delay
from ._link import Link
from .errors import PluginError, PluginReportError, code_name
from .v1 import plugin_service_pb2 as pb

log = logging.getLogger("trainingcore")

OK = grpc.StatusCode.OK.value[0]
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]
# Guards every Pending's callbacks (held for a list append or swap only).
_callbacks_lock = threading.Lock()


class Pending:
    """A submitted report; ``wait()`` blocks until it is stored (or raises why not)."""

    def __init__(
        self, kind: str, plugin_id: int, order_key: Union[int, str], request: pb.ConnectRequest
    ) -> None:
        self.kind = kind
        self.plugin_id = plugin_id
        self.order_key = order_key
        self.request = request
        self.sent_on: Optional[Link] = None
        self.retry_timer: Optional[threading.Timer] = None
        self.retries = 0
        self.error: Optional[BaseException] = None
        self._done = threading.Event()
        self._callbacks: list[Callable[[Pending], None]] = []

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def add_done_callback(self, callback: Callable[[Pending], None]) -> None:
        """Calls ``callback(self)`` once settled (at once when it is). It runs on the thread
        that settles, holding the outbox's lock: keep it short and never call the outbox."""
        with _callbacks_lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def settle(self, error: Optional[BaseException]) -> None:
        self.error = error
        with _callbacks_lock:
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback(self)
            except Exception:  # noqa: BLE001 - one callback must not keep the others from running
                log.exception("plugin=%d %s: a done callback failed", self.plugin_id, self.kind)

    def wait(self) -> None:
        """Blocks until acked with code 0; raises ``PluginReportError`` or the close reason."""
        self._done.wait()
        if self.error is not None:
            raise self.error


class Outbox:
    def __init__(self, retry_delays: Reconnect) -> None:
        self._retry_delays = retry_delays
        self._entries: list[Pending] = []
        self._link: Optional[Link] = None
        self._closed_with: Optional[BaseException] = None
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def submit(
        self,
        kind: str,
        plugin_id: int,
        request: pb.ConnectRequest,
        order_key: Union[int, str, None] = None,
    ) -> Pending:
        """Queues a report (sent at once when a stream is registered)."""
        entry = Pending(kind, plugin_id, plugin_id if order_key is None else order_key, request)
        with self._lock:
            if self._closed_with is not None:
                entry.settle(self._closed_with)
                return entry
            self._entries.append(entry)
            self._flush()
        return entry

    def attach(self, link: Link) -> None:
        """A registered stream: sends, in order, every report that has no Ack yet."""
        with self._lock:
            self._link = link
            self._flush()

    def detach(self, link: Link) -> None:
        """The stream ended: its reports without an Ack wait for the next one."""
        with self._lock:
            if self._link is link:
                self._link = None
            for entry in self._entries:
                if entry.sent_on is link:
                    entry.sent_on = None

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no report awaits an Ack, at most ``timeout`` seconds."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._entries, timeout=max(0.0, timeout))

    def close(self, error: BaseException) -> None:
        """Fails every waiting report (and every later one) with ``error``."""
        with self._lock:
            if self._closed_with is None:
                self._closed_with = error
            entries, self._entries = self._entries, []
            for entry in entries:
                if entry.retry_timer is not None:
                    entry.retry_timer.cancel()
                entry.settle(error)
            self._idle.notify_all()

    def _flush(self) -> None:
        link = self._link
        if link is None or not link.is_open:
            return
        blocked: set[Union[int, str]] = set()
        for entry in self._entries:
            if entry.order_key in blocked:  # only the oldest of each job or request is sent
                continue
            blocked.add(entry.order_key)
            if entry.sent_on is not None or entry.retry_timer is not None:
                continue
            entry.sent_on = link
            link.send(entry.request, lambda ack, e=entry, l=link: self._acked(e, l, ack))

    def _acked(self, entry: Pending, link: Link, ack: pb.Ack) -> None:
        with self._lock:
            if entry.sent_on is not link or entry.done:
                return
            entry.sent_on = None
            if ack.code == UNAVAILABLE:
                delay = jittered_delay(self._retry_delays, entry.retries)
                entry.retries += 1
                log.warning(
                    "plugin=%d %s: the core could not store it (%s); sending it again in %.2fs",
                    entry.plugin_id,
                    entry.kind,
                    ack.message,
                    delay,
                )
                timer = threading.Timer(delay, self._retry, args=(entry,))
                timer.daemon = True
                entry.retry_timer = timer
                timer.start()
                return
            self._entries.remove(entry)
            if ack.code == OK:
                entry.settle(None)
            else:
                log.warning(
                    "plugin=%d %s refused: %s %s",
                    entry.plugin_id,
                    entry.kind,
                    code_name(ack.code),
                    ack.message,
                )
                entry.settle(PluginReportError(ack.code, ack.message, entry.kind, entry.plugin_id))
            self._flush()
            if not self._entries:
                self._idle.notify_all()

    def _retry(self, entry: Pending) -> None:
        with self._lock:
            entry.retry_timer = None
            self._flush()


__all__ = ["Outbox", "Pending", "PluginError"]
