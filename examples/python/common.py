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
from collections.abc import Callable
from pathlib import Path

try:
    import trainingcore
except ImportError:  # not installed (pip install ./sdk/python): use the SDK of this repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sdk" / "python"))
    import trainingcore

log = logging.getLogger("example")


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
