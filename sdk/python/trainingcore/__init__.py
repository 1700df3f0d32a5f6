"""Training Core plugin SDK for Python.

``run_plugin(report=..., on_training_data=..., on_prescription=...)`` connects to the core,
registers, answers inquiries, numbers and re-sends reports, reconnects, and runs your handlers:
``on_training_data(job, ctx)`` once per training job and ``on_prescription(request, ctx)`` once
per prescription request. See ``docs/plugin-authors.md``.
"""

from ._backoff import Reconnect
from ._runtime import BearerToken, Plugin, open_channel, run_plugin
from .errors import (
    NotApplicable,
    PluginError,
    PluginRegistrationError,
    PluginReportError,
    PluginStoppedError,
)
from .jobs import JobContext, TrainingHandler
from .prescriptions import PrescriptionContext, PrescriptionHandler, read_running_cases
from .types import (
    COLUMN_DEFINITIONS,
    Job,
    PluginInfo,
    Prescription,
    PrescriptionRequest,
    RunningCase,
)

__all__ = [
    "COLUMN_DEFINITIONS",
    "BearerToken",
    "Job",
    "JobContext",
    "NotApplicable",
    "Plugin",
    "PluginError",
    "PluginInfo",
    "PluginRegistrationError",
    "PluginReportError",
    "PluginStoppedError",
    "Prescription",
    "PrescriptionContext",
    "PrescriptionHandler",
    "PrescriptionRequest",
    "Reconnect",
    "RunningCase",
    "TrainingHandler",
    "open_channel",
    "read_running_cases",
    "run_plugin",
]
__version__ = "0.1.0"
