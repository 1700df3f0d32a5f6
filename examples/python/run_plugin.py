"""``run_plugin``: runs one example plugin until SIGINT or SIGTERM.

Settings come from the environment: CORE_ADDRESS (default 127.0.0.1:50051), MODEL_DIR (default
./models), PLUGIN_KEY (default: the identity's id) and PLUGIN_TOKEN (a plugin token, when the core
requires tokens). The connection runs on one thread and the jobs on another; the exit code is 0
after SIGINT/SIGTERM, 1 when the core refused the plugin for good.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

# core_connection puts the generated stubs (gen/) on sys.path: import it before them.
from core_connection import BearerToken, CoreConnection
from prescriptions import Prescribe, PrescriptionRunner
from training_jobs import JobRunner, Train
from trainingcore.v1 import plugin_service_pb2 as pb

log = logging.getLogger("run-plugin")


@dataclass(frozen=True)
class Config:
    core_address: str
    model_dir: Path
    plugin_key: str
    token: str

    @staticmethod
    def from_env(default_key: str) -> Config:
        return Config(
            core_address=os.environ.get("CORE_ADDRESS") or "127.0.0.1:50051",
            model_dir=Path(os.environ.get("MODEL_DIR") or "models"),
            plugin_key=os.environ.get("PLUGIN_KEY") or default_key,
            token=os.environ.get("PLUGIN_TOKEN") or "",
        )



def run_plugin(identity: pb.OnlineReport, train: Train, prescribe: Prescribe | None = None) -> int:
    """Runs a plugin until SIGINT/SIGTERM; ``identity.id`` is the default plugin key. With
    ``prescribe`` it registers as a plugin that prescribes and answers prescription requests."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = Config.from_env(identity.id)
    registered = pb.OnlineReport()
    registered.CopyFrom(identity)
    registered.id = config.plugin_key
    registered.prescribes = prescribe is not None

    # Signal handlers only record the signal; the main thread polls for it. (Setting a
    # threading.Event inside a handler can deadlock if the signal lands inside Event.wait.)
    received: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)
        signal.signal(signum, signal.SIG_DFL)  # a second signal ends the process at once

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    stopping = threading.Event()
    failure: list[BaseException] = []
    with grpc.insecure_channel(config.core_address) as plain_channel:
        channel = (
            grpc.intercept_channel(plain_channel, BearerToken(config.token))
            if config.token
            else plain_channel
        )
        connection = CoreConnection(channel, registered, stopping)
        runner = JobRunner(connection, channel, config.model_dir, train, stopping)
        prescriber = (
            PrescriptionRunner(connection, runner.download_to, config.model_dir, prescribe, stopping)
            if prescribe is not None
            else None
        )

        def keep_connected() -> None:
            try:
                connection.run()
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                failure.append(error)

        threads = [
            threading.Thread(target=keep_connected, name="connection", daemon=True),
            threading.Thread(target=runner.run, name="jobs", daemon=True),
        ]
        if prescriber is not None:
            threads.append(
                threading.Thread(target=prescriber.run, name="prescriptions", daemon=True)
            )
        for thread in threads:
            thread.start()
        log.info(
            "starting key=%s core=%s model_dir=%s",
            config.plugin_key,
            config.core_address,
            config.model_dir.resolve(),
        )
        while not received and threads[0].is_alive():
            time.sleep(0.2)

        stopping.set()
        connection.cancel()
        runner.stop()
        if prescriber is not None:
            prescriber.stop()
        for thread in threads:
            thread.join(timeout=5)

    if received:
        log.info("stopped on %s", received[0])
        return 0
    error = failure[0] if failure else RuntimeError("connection thread ended")
    if isinstance(error, grpc.RpcError):
        log.error("giving up: %s: %s", error.code().name, error.details())
    else:
        log.error("giving up: %s", error)
    return 1
