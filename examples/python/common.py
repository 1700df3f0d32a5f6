"""What the example plugins share besides the SDK: settings from the environment, logging, and
saving a model file in MODEL_DIR.

Settings: CORE_ADDRESS (default 127.0.0.1:50051, read by the SDK), PLUGIN_TOKEN (read by the
SDK), MODEL_DIR (default ./models), PLUGIN_KEY (default: the plugin's own key).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

try:
    import trainingcore
except ImportError:  # not installed (pip install ./sdk/python): use the SDK of this repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sdk" / "python"))
    import trainingcore

log = logging.getLogger("example")

M = TypeVar("M")


def model_dir() -> Path:
    return Path(os.environ.get("MODEL_DIR") or "models")


def save_model(name: str, write: Callable[[Path], None]) -> Path:
    """Saves the model file ``name`` in MODEL_DIR through ``write(path)``, renamed into place
    only once written, so that a reader never sees half a model."""
    directory = model_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    partial = path.with_name(f"{name}.partial")
    write(partial)
    partial.replace(path)
    return path


class LoadedModels(Generic[M]):
    """The models a plugin instance prescribes with, each loaded once per project and membership
    (live requests come one per event: loading the model for each would be far too slow).

    A model is read from its file in MODEL_DIR when this instance (or another sharing the
    directory) trained it, else from the copy stored in the core (``ctx.model_path()``: one
    ``DownloadModel`` per membership and run). A membership's model does not change once it is
    TRAINED (retraining makes a new project), so nothing is ever reloaded.
    """

    def __init__(self, load: Callable[[Path], M]) -> None:
        self._load = load
        self._models: dict[tuple[int, int], M] = {}
        self._locks: dict[tuple[int, int], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, request: trainingcore.PrescriptionRequest, ctx: trainingcore.PrescriptionContext) -> M:
        key = (request.project_id, request.plugin_id)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # concurrent requests of one project wait for one load
            if key not in self._models:
                local = model_dir() / request.model_name
                stored = not local.is_file()
                path = ctx.model_path() if stored else local
                self._models[key] = self._load(path)
                log.info(
                    "project=%d plugin=%d model %s loaded from %s",
                    request.project_id,
                    request.plugin_id,
                    request.model_name,
                    "the core" if stored else path,
                )
            return self._models[key]


def main(
    report: trainingcore.PluginInfo,
    on_training_data: trainingcore.TrainingHandler,
    on_prescription: trainingcore.PrescriptionHandler | None = None,
) -> int:
    """Runs the plugin until SIGINT/SIGTERM: 0 then, 1 when the core refused it for good."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    report = dataclasses.replace(report, id=os.environ.get("PLUGIN_KEY") or report.id)
    log.info("starting key=%s model_dir=%s", report.id, model_dir().resolve())
    try:
        # Back within 5 s of a core that restarts (the SDK's default waits up to 30 s).
        reconnect = trainingcore.Reconnect(initial_delay=0.25, max_delay=5.0)
        trainingcore.run_plugin(report, on_training_data, on_prescription, reconnect=reconnect)
    except trainingcore.PluginRegistrationError as error:
        log.error("giving up: %s", error)
        return 1
    return 0
