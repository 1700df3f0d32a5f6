"""A stand-in for the SDK's ``PrescriptionContext`` in the examples' unit tests: live requests
(one running case each), the answers given, and how often the stored model was downloaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trainingcore import Prescription, PrescriptionRequest, RunningCase


def live_request(
    project_id: int, model_name: str, case_id: str, events: list[dict[str, str]]
) -> PrescriptionRequest:
    """A streaming request of membership ``10 * project_id`` for one case's events so far."""
    return PrescriptionRequest(
        request_id=f"{case_id}-{len(events)}",
        project_id=project_id,
        plugin_id=10 * project_id,
        model_name=model_name,
        dataset_name="",
        case_prefix=RunningCase(case_id, events),
        parameters={},
        additional_info={},
        definition=None,
    )


class FakeContext:
    """Answers recorded; ``model_path()`` returns ``stored`` (the core's copy) and counts."""

    def __init__(self, request: PrescriptionRequest, stored: Path | None = None) -> None:
        self.request = request
        self.stored = stored
        self.answers: list[tuple[str, Prescription]] = []
        self.downloads = 0

    def cases(self) -> Iterator[RunningCase]:
        assert self.request.case_prefix is not None
        yield self.request.case_prefix

    def answer(self, case_id: str, prescription: Any) -> None:
        self.answers.append((case_id, prescription))

    def model_path(self) -> Path:
        if self.stored is None:
            raise AssertionError("the model was not expected to be downloaded")
        self.downloads += 1
        return self.stored
