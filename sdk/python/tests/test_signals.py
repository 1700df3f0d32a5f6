"""run_plugin in a process of its own: SIGTERM and SIGINT end it cleanly, exit code 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fake_core import FakeCore

PLUGIN = """
import logging, sys
import trainingcore
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
trainingcore.run_plugin(report={"id": "plugin-signals"}, on_training_data=lambda job, ctx: None)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_plugin_cleanly(core: FakeCore, signum: int) -> None:
    import trainingcore

    env = {
        **os.environ,
        "CORE_ADDRESS": core.address,
        "PYTHONPATH": str(Path(trainingcore.__file__).parent.parent),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", PLUGIN], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        stream, report = core.registered_stream()
        assert report.online_report.id == "plugin-signals"
        started = time.monotonic()
        child.send_signal(signum)
        assert child.wait(10) == 0
        assert time.monotonic() - started < 8
        assert stream.closed.wait(5)  # half-closed, not just dropped
        assert f"stopped on {signal.Signals(signum).name}" in (child.stderr.read() if child.stderr else "")
    finally:
        child.kill()
