"""A plugin on the SDK for the end-to-end tests (test/e2e/python-sdk.test.ts) against the real
core: it trains by counting the training set's rows, stores that count as its model in the core,
and prescribes, for each running case, its number of events and the stored row count.

Environment: CORE_ADDRESS, PLUGIN_KEY; GATE, a file path: when set, training waits after
``started()`` until that file exists (the test restarts the core meanwhile)."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

import trainingcore
from trainingcore import Job, JobContext, Prescription, PrescriptionContext, PrescriptionRequest

log = logging.getLogger("e2e-plugin")


def train(job: Job, ctx: JobContext) -> None:
    rows = sum(1 for _ in ctx.rows()) - 1
    ctx.accept()
    ctx.started()
    gate = os.environ.get("GATE")
    if gate:
        log.info("project=%d waiting for the gate", job.project_id)
        while not Path(gate).exists():
            time.sleep(0.05)
    model = json.dumps({"rows": rows}).encode()
    ctx.trained(f"rows-{job.project_id}-{job.plugin_id}.json", file=model)


def prescribe(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
    model = json.loads(ctx.model())
    for case in ctx.cases():
        output = {"events": len(case.events), "rows": model["rows"]}
        ctx.answer(case.case_id, Prescription("COUNT", output, model={"name": request.model_name}))


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
    report = trainingcore.PluginInfo(id=os.environ["PLUGIN_KEY"], name="Python SDK e2e", type="count")
    reconnect = trainingcore.Reconnect(initial_delay=0.1, max_delay=2.0)
    trainingcore.run_plugin(report, train, prescribe, part_size=2, reconnect=reconnect)
