"""The plugin's runtime: keeps one registered Connect stream to the core while the plugin
runs, reconnecting with exponential backoff and full jitter whenever it drops, and shuts down
cleanly: running jobs end, outstanding acks arrive, then the stream is half-closed."""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Optional, Union

import grpc

from ._backoff import Backoff, Reconnect
from ._link import Handlers, Link, StreamEnd
from ._outbox import OK, Outbox
from ._transfer import ModelCache, ModelFile, download_dataset, upload_model
from ._work import WorkQueue
from .errors import PluginRegistrationError, PluginStoppedError, code_name
from .jobs import JobContext, TrainingHandler, run_job
from .prescriptions import PrescriptionContext, PrescriptionHandler, run_request
from .types import Job, PluginInfo, PrescriptionRequest
from .v1 import dataset_service_pb2_grpc as ds_grpc
from .v1 import model_service_pb2_grpc as ms_grpc
from .v1 import plugin_service_pb2 as pb
from .v1 import plugin_service_pb2_grpc as pb_grpc

log = logging.getLogger("trainingcore")

DEFAULT_ADDRESS = "127.0.0.1:50051"
HALF_CLOSE_TIMEOUT = 2.0
FATAL_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT.value[0],
    grpc.StatusCode.PERMISSION_DENIED.value[0],
    grpc.StatusCode.UNAUTHENTICATED.value[0],
    grpc.StatusCode.UNIMPLEMENTED.value[0],
}

Tls = Union[bool, grpc.ChannelCredentials, None]


class _CallDetails(grpc.ClientCallDetails):  # type: ignore[misc]
    def __init__(self, details: Any, metadata: list[tuple[str, str]]) -> None:
        self.method = details.method
        self.timeout = details.timeout
        self.metadata = metadata
        self.credentials = details.credentials
        self.wait_for_ready = details.wait_for_ready
        self.compression = details.compression


class BearerToken(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Sends ``authorization: Bearer <token>`` with every call (a plugin token from
    ``training-core token create --plugin KEY``)."""

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _details(self, details: Any) -> Any:
        return _CallDetails(details, [*(details.metadata or []), self._header])

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


def open_channel(
    address: str, token: Optional[str] = None, tls: Tls = None, reconnect: Reconnect = Reconnect()
) -> grpc.Channel:
    """A channel to the core: TLS when ``tls`` is True (system roots) or credentials (for
    instance ``grpc.ssl_channel_credentials(root_certificates=...)``), a bearer token when
    ``token`` is given."""
    options = [
        # The channel's own reconnect backoff must not outlast ours.
        ("grpc.initial_reconnect_backoff_ms", max(1, int(reconnect.initial_delay * 1000))),
        ("grpc.max_reconnect_backoff_ms", max(1, int(reconnect.max_delay * 1000))),
        ("grpc.min_reconnect_backoff_ms", max(1, int(reconnect.initial_delay * 1000))),
        ("grpc.keepalive_time_ms", 60_000),
        ("grpc.keepalive_timeout_ms", 20_000),
    ]
    if tls:
        credentials = tls if isinstance(tls, grpc.ChannelCredentials) else grpc.ssl_channel_credentials()
        channel = grpc.secure_channel(address, credentials, options)
    else:
        channel = grpc.insecure_channel(address, options)
    if token:
        channel = grpc.intercept_channel(channel, BearerToken(token))
    return channel


class Plugin:
    """A plugin connected to the core, run on background threads: ``start()``, then ``stop()``
    and ``join()``. ``run_plugin`` wraps it with signal handling; use this class directly to run
    a plugin inside a larger program or a test."""

    def __init__(
        self,
        report: Union[PluginInfo, Mapping[str, Any]],
        on_training_data: TrainingHandler,
        on_prescription: Optional[PrescriptionHandler] = None,
        *,
        address: Union[str, Sequence[str], None] = None,
        token: Optional[str] = None,
        tls: Tls = None,
        concurrency: int = 1,
        prescription_concurrency: int = 1,
        part_size: int = 1000,
        reconnect: Reconnect = Reconnect(),
        shutdown_timeout: float = 5.0,
    ) -> None:
        info = PluginInfo.of(report)
        if not info.id:
            raise ValueError("report.id (the plugin key) is required")
        if not callable(on_training_data):
            raise TypeError("on_training_data must be a function")
        if on_prescription is not None and not callable(on_prescription):
            raise TypeError("on_prescription must be a function when given")
        for name, value in (
            ("concurrency", concurrency),
            ("prescription_concurrency", prescription_concurrency),
            ("part_size", part_size),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        address = address or os.environ.get("CORE_ADDRESS") or DEFAULT_ADDRESS
        self._addresses = [address] if isinstance(address, str) else list(address)
        if not self._addresses or not all(self._addresses):
            raise ValueError("address is required (host:port, or a list of them)")
        self.key = info.id
        self._online_report = info.to_proto(prescribes=on_prescription is not None)
        self._token = token if token is not None else os.environ.get("PLUGIN_TOKEN") or None
        self._tls = tls
        self._reconnect = reconnect
        self._shutdown_timeout = shutdown_timeout
        self._part_size = part_size
        self._channels = [open_channel(a, self._token, tls, reconnect) for a in self._addresses]
        self._current = random.randrange(len(self._addresses))
        self._stopping = threading.Event()
        self.registered = threading.Event()
        """Set once the first stream registered (for tests and health checks)."""
        self._outbox = Outbox(reconnect)
        self._models = ModelCache()
        self._on_training_data = on_training_data
        self._on_prescription = on_prescription
        self._jobs: WorkQueue[Job] = WorkQueue(
            "job", concurrency, lambda job: job.plugin_id, self._run_job
        )
        self._requests: Optional[WorkQueue[PrescriptionRequest]] = (
            WorkQueue(
                "prescription request",
                prescription_concurrency,
                lambda request: request.request_id,
                self._run_request,
            )
            if on_prescription is not None
            else None
        )
        self._drained = False
        self._fatal: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._main, name="trainingcore-connection", daemon=True)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Asks the plugin to shut down (returns at once; ``join()`` waits)."""
        self._stopping.set()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: Optional[float] = None) -> None:
        """Waits until the plugin stopped; raises ``PluginRegistrationError`` when the core
        refused it."""
        self._thread.join(timeout)
        if not self._thread.is_alive() and self._fatal is not None:
            raise self._fatal

    # -- the connection -------------------------------------------------------------------

    def _main(self) -> None:
        try:
            backoff = Backoff(self._reconnect)
            while not self._stopping.is_set():
                lasted, end = self._session()
                if self._stopping.is_set():
                    break
                if lasted is not None and lasted >= self._reconnect.max_delay:
                    backoff.reset()
                delay = backoff.next()
                self._current = (self._current + 1) % len(self._addresses)
                log.warning(
                    "disconnected (%s: %s); reconnecting in %.1fs to %s",
                    code_name(end.code),
                    end.details,
                    delay,
                    self._addresses[self._current],
                )
                self._stopping.wait(delay)
            if not self._drained:
                self._stop_work(self._shutdown_timeout)
        except BaseException as error:  # noqa: BLE001 - handed to join()
            self._fatal = error
            self._stopping.set()
            self._stop_work(0)
        finally:
            self._outbox.close(self._fatal or PluginStoppedError())
            for channel in self._channels:
                channel.close()
            self._models.clear()
            if self._fatal is None:
                log.info("plugin %s stopped", self.key)

    def _session(self) -> tuple[Optional[float], StreamEnd]:
        """One stream from connecting to its end: (how long it stayed registered, or None when
        it never did; how it ended). Raises when the core refuses the registration for good."""
        stub = pb_grpc.PluginServiceStub(self._channel)
        link = Link(
            stub,
            Handlers(
                on_training_data=self._offer_job,
                on_prescription_request=self._offer_request,
                on_online_inquiry=self._answer_inquiry,
            ),
        )
        acks: list[pb.Ack] = []
        answered = threading.Event()

        def on_ack(ack: pb.Ack) -> None:
            acks.append(ack)
            answered.set()

        link.send(pb.ConnectRequest(online_report=self._online_report), on_ack)
        while not (answered.is_set() or link.ended.is_set() or self._stopping.is_set()):
            answered.wait(0.05)
        if not (acks and acks[0].code == OK):
            link.cancel()
            link.ended.wait(HALF_CLOSE_TIMEOUT)
            end = StreamEnd(acks[0].code, acks[0].message) if acks else link.end
            if self._stopping.is_set() and not acks:
                return None, end
            if end.code in FATAL_CODES:
                raise PluginRegistrationError(end.code, end.details, self.key)
            log.warning("could not register: %s %s", code_name(end.code), end.details)
            return None, end

        registered_at = time.monotonic()
        log.info("registered key=%s resent=%d", self.key, len(self._outbox))
        self.registered.set()
        self._outbox.attach(link)
        while not (link.ended.is_set() or self._stopping.is_set()):
            link.ended.wait(0.1)
        if not link.ended.is_set():
            self._shut_down(link)
        self._outbox.detach(link)
        return time.monotonic() - registered_at, link.end

    def _shut_down(self, link: Link) -> None:
        deadline = time.monotonic() + self._shutdown_timeout
        log.info("stopping: waiting for running jobs and outstanding acks")
        self._stop_work(self._shutdown_timeout)
        self._drained = True
        while not link.ended.is_set() and time.monotonic() < deadline:
            if self._outbox.wait_idle(min(0.1, deadline - time.monotonic())):
                break
        link.half_close()
        if not link.ended.wait(HALF_CLOSE_TIMEOUT):
            link.cancel()

    def _stop_work(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self._jobs.stop(timeout)
        if self._requests is not None:
            self._requests.stop(max(0.0, deadline - time.monotonic()))

    @property
    def _channel(self) -> grpc.Channel:
        return self._channels[self._current]

    def _answer_inquiry(self, link: Link) -> None:
        def on_ack(ack: pb.Ack) -> None:
            if ack.code != OK:
                log.warning("OnlineReport refused: %s %s", code_name(ack.code), ack.message)

        link.send(pb.ConnectRequest(online_report=self._online_report), on_ack)

    # -- work -----------------------------------------------------------------------------

    def _offer_job(self, data: pb.TrainingData) -> None:
        self._jobs.offer(Job.from_proto(data))

    def _offer_request(self, message: pb.PrescriptionRequest) -> None:
        if self._requests is None:
            log.warning("request=%s ignored: no on_prescription handler", message.request_id)
            return
        self._requests.offer(PrescriptionRequest.from_proto(message))

    def _download(self, name: str) -> Any:
        return download_dataset(
            lambda: ds_grpc.DatasetServiceStub(self._channel), name, self._stopping, self._reconnect
        )

    def _upload(self, project_id: int, plugin_id: int, model_name: str, file: ModelFile) -> Any:
        return upload_model(
            lambda: ms_grpc.ModelServiceStub(self._channel),
            project_id,
            plugin_id,
            model_name,
            file,
            self._stopping,
            self._reconnect,
        )

    def _model_path(self, project_id: int, plugin_id: int) -> Path:
        return self._models.path(
            lambda: ms_grpc.ModelServiceStub(self._channel),
            project_id,
            plugin_id,
            self._stopping,
            self._reconnect,
        )

    def _run_job(self, job: Job) -> None:
        context = JobContext(job, self._outbox, self._download, self._upload, self._stopping)
        run_job(self._on_training_data, context)

    def _run_request(self, request: PrescriptionRequest) -> Future[None]:
        assert self._on_prescription is not None
        context = PrescriptionContext(
            request,
            self._outbox,
            self._part_size,
            self._download,
            self._model_path,
            self._stopping,
        )
        return run_request(self._on_prescription, context)


def run_plugin(
    report: Union[PluginInfo, Mapping[str, Any]],
    on_training_data: TrainingHandler,
    on_prescription: Optional[PrescriptionHandler] = None,
    *,
    address: Union[str, Sequence[str], None] = None,
    token: Optional[str] = None,
    tls: Tls = None,
    concurrency: int = 1,
    prescription_concurrency: int = 1,
    part_size: int = 1000,
    reconnect: Reconnect = Reconnect(),
    shutdown_timeout: float = 5.0,
    handle_signals: bool = True,
    stop: Optional[threading.Event] = None,
) -> None:
    """Runs a plugin until SIGINT or SIGTERM (or ``stop`` is set), then shuts it down cleanly.

    ``address`` defaults to ``$CORE_ADDRESS`` (else ``127.0.0.1:50051``) and may list several
    replicas; ``token`` defaults to ``$PLUGIN_TOKEN``. With ``on_prescription`` the plugin
    registers as one that answers prescription requests. Returns after a clean stop; raises
    ``PluginRegistrationError`` when the core refuses the plugin (retrying cannot help).
    """
    plugin = Plugin(
        report,
        on_training_data,
        on_prescription,
        address=address,
        token=token,
        tls=tls,
        concurrency=concurrency,
        prescription_concurrency=prescription_concurrency,
        part_size=part_size,
        reconnect=reconnect,
        shutdown_timeout=shutdown_timeout,
    )
    received: list[str] = []
    previous: dict[int, Any] = {}

    def on_signal(signum: int, _frame: object) -> None:
        # Only recorded here; the loop below stops the plugin. A second signal ends at once.
        received.append(signal.Signals(signum).name)
        signal.signal(signum, signal.SIG_DFL)

    if handle_signals and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    plugin.start()
    try:
        while plugin.is_alive():
            if received or (stop is not None and stop.is_set()):
                plugin.stop()
                break
            plugin.join(0.1)
        plugin.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        log.info("stopped on %s", received[0])
