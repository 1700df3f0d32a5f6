"""The plain data the SDK hands to handlers and takes from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from google.protobuf import json_format, struct_pb2

from .v1 import definition_pb2, plugin_service_pb2

COLUMN_DEFINITIONS: tuple[str, ...] = tuple(
    name.removeprefix("COLUMN_DEFINITION_")
    for name in definition_pb2.ColumnDefinition.keys()
    if name != "COLUMN_DEFINITION_UNSPECIFIED"
)
"""The names ``PluginInfo.needed_columns`` accepts (``"CASE_ID"``, ``"OUTCOME"``, ...)."""


@dataclass(frozen=True)
class PluginInfo:
    """Who the plugin is: sent in every ``OnlineReport``.

    ``id`` is the plugin key (1-200 characters of ``[A-Za-z0-9._:-]``); ``parameters`` are the
    defaults the consumer's values are overlaid on, per project; ``needed_columns`` the
    columns (``"OUTCOME"``, ``"CASE_ID"``, ...: see ``COLUMN_DEFINITIONS``) without which the
    plugin cannot train.
    """

    id: str
    name: str = ""
    type: str = ""
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    needed_columns: Sequence[str] = ()

    @staticmethod
    def of(value: PluginInfo | Mapping[str, Any]) -> PluginInfo:
        """A ``PluginInfo`` from itself or from a mapping with the same keys."""
        if isinstance(value, PluginInfo):
            return value
        return PluginInfo(**dict(value))

    def to_proto(self, prescribes: bool) -> plugin_service_pb2.OnlineReport:
        """The ``OnlineReport``; raises ``ValueError`` on an unknown needed column."""
        needed = []
        for index, name in enumerate(self.needed_columns):
            if name not in COLUMN_DEFINITIONS:
                raise ValueError(
                    f"needed_columns[{index}] is {name!r}, not one of {', '.join(COLUMN_DEFINITIONS)}"
                )
            needed.append(definition_pb2.ColumnDefinition.Value(f"COLUMN_DEFINITION_{name}"))
        report = plugin_service_pb2.OnlineReport(
            id=self.id,
            name=self.name,
            type=self.type,
            description=self.description,
            needed_columns=needed,
            prescribes=prescribes,
        )
        report.parameters.update(dict(self.parameters))
        return report


def struct_to_dict(value: struct_pb2.Struct) -> dict[str, Any]:
    """A ``google.protobuf.Struct`` as a dict (every number a float, as in the Struct)."""
    return json_format.MessageToDict(value)


@dataclass(frozen=True)
class Job:
    """One ``TrainingData``: a training set offered to one membership (``plugin_id``)."""

    project_id: int
    plugin_id: int
    training_df_name: str
    parameters: dict[str, Any]
    """The plugin's defaults overlaid with the consumer's values (numbers are floats)."""
    additional_info: dict[str, Any]
    definition: Optional[definition_pb2.EventLogDefinition]
    """The project's effective definition; None for a project created without one (the
    training set then keeps the original header)."""

    @staticmethod
    def from_proto(data: plugin_service_pb2.TrainingData) -> Job:
        return Job(
            project_id=data.project_id,
            plugin_id=data.plugin_id,
            training_df_name=data.training_df_name,
            parameters=struct_to_dict(data.parameters),
            additional_info=struct_to_dict(data.additional_info),
            definition=data.definition if data.HasField("definition") else None,
        )


@dataclass(frozen=True)
class RunningCase:
    """One running case: its id and its events so far, in time order, by column name (the
    training set's names; values as strings; empty cells left out)."""

    case_id: str
    events: list[dict[str, str]]


@dataclass(frozen=True)
class PrescriptionRequest:
    """One ``PrescriptionRequest``: answer it for every running case."""

    request_id: str
    project_id: int
    plugin_id: int
    model_name: str
    """The name reported in ``ModelName``: the model to answer with."""
    dataset_name: str
    """The running cases to download (empty for a ``case_prefix`` request)."""
    case_prefix: Optional[RunningCase]
    """The one running case of a streaming request (None for a dataset request)."""
    parameters: dict[str, Any]
    additional_info: dict[str, Any]
    definition: Optional[definition_pb2.EventLogDefinition]

    @staticmethod
    def from_proto(message: plugin_service_pb2.PrescriptionRequest) -> PrescriptionRequest:
        kind = message.WhichOneof("input")
        prefix = None
        if kind == "case_prefix":
            prefix = RunningCase(
                message.case_prefix.case_id,
                [
                    {k: v if isinstance(v, str) else str(v) for k, v in struct_to_dict(e).items()}
                    for e in message.case_prefix.events
                ],
            )
        return PrescriptionRequest(
            request_id=message.request_id,
            project_id=message.project_id,
            plugin_id=message.plugin_id,
            model_name=message.model_name,
            dataset_name=message.dataset_name if kind == "dataset_name" else "",
            case_prefix=prefix,
            parameters=struct_to_dict(message.parameters),
            additional_info=struct_to_dict(message.additional_info),
            definition=message.definition if message.HasField("definition") else None,
        )


@dataclass(frozen=True)
class Prescription:
    """The answer for one case.

    ``type`` such as ``"NEXT_ACTIVITY"`` or ``"ALARM"``; ``output`` any JSON value (None when
    there is no prescription for the case: say why in ``detail``); ``model`` which model
    answered and its scores.
    """

    type: str
    output: Any = None
    detail: str = ""
    model: Optional[Mapping[str, Any]] = None
