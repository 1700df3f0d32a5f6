"""The exceptions the SDK raises."""

from __future__ import annotations

import grpc


def code_name(code: int) -> str:
    """The name of a gRPC status code number (``14`` -> ``"UNAVAILABLE"``)."""
    for status in grpc.StatusCode:
        if status.value[0] == code:
            return str(status.name)
    return str(code)


class PluginError(Exception):
    """Base class of the SDK's exceptions."""


class PluginReportError(PluginError):
    """The core refused a report (an ``Ack`` with a code other than 0 and UNAVAILABLE).

    ``code`` is the gRPC status code number, ``message`` the core's explanation, ``kind`` the
    report (``"accept"``, ``"reject"``, ``"started"``, ``"trained"``, ``"fail"``,
    ``"prescriptions"``, ``"prescription-error"``) and ``plugin_id`` the membership.
    """

    def __init__(self, code: int, message: str, kind: str, plugin_id: int) -> None:
        super().__init__(f"the core refused {kind} ({code_name(code)}): {message}")
        self.code = code
        self.message = message
        self.kind = kind
        self.plugin_id = plugin_id


class PluginRegistrationError(PluginError):
    """The core refused to register the plugin (bad key, wrong token): retrying cannot help."""

    def __init__(self, code: int, message: str, key: str) -> None:
        super().__init__(f"the core refused to register plugin {key} ({code_name(code)}): {message}")
        self.code = code
        self.message = message
        self.key = key


class PluginStoppedError(PluginError):
    """The plugin is shutting down: the report could not be delivered."""

    def __init__(self) -> None:
        super().__init__("the plugin stopped before the core acknowledged the report")


class NotApplicable(PluginError):
    """Raise it from ``on_training_data`` before ``started()``: the SDK reports ``reject()``
    (the training set does not suit the plugin; the text says why, in the plugin's log)."""
