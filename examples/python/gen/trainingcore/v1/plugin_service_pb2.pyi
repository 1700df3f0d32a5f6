from google.protobuf import struct_pb2 as _struct_pb2
from trainingcore.v1 import definition_pb2 as _definition_pb2
from trainingcore.v1 import prescription_pb2 as _prescription_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Ack(_message.Message):
    __slots__ = ["code", "message", "sequence"]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    sequence: int
    def __init__(self, sequence: _Optional[int] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class CasePrefix(_message.Message):
    __slots__ = ["case_id", "events"]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    events: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    def __init__(self, case_id: _Optional[str] = ..., events: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ...) -> None: ...

class ConnectRequest(_message.Message):
    __slots__ = ["data_report", "error_report", "model_name", "online_report", "prescription_error", "prescription_result", "sequence", "training_start"]
    DATA_REPORT_FIELD_NUMBER: _ClassVar[int]
    ERROR_REPORT_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ONLINE_REPORT_FIELD_NUMBER: _ClassVar[int]
    PRESCRIPTION_ERROR_FIELD_NUMBER: _ClassVar[int]
    PRESCRIPTION_RESULT_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TRAINING_START_FIELD_NUMBER: _ClassVar[int]
    data_report: DataReport
    error_report: ErrorReport
    model_name: ModelName
    online_report: OnlineReport
    prescription_error: PrescriptionError
    prescription_result: PrescriptionResult
    sequence: int
    training_start: TrainingStart
    def __init__(self, sequence: _Optional[int] = ..., online_report: _Optional[_Union[OnlineReport, _Mapping]] = ..., data_report: _Optional[_Union[DataReport, _Mapping]] = ..., training_start: _Optional[_Union[TrainingStart, _Mapping]] = ..., model_name: _Optional[_Union[ModelName, _Mapping]] = ..., error_report: _Optional[_Union[ErrorReport, _Mapping]] = ..., prescription_result: _Optional[_Union[PrescriptionResult, _Mapping]] = ..., prescription_error: _Optional[_Union[PrescriptionError, _Mapping]] = ...) -> None: ...

class ConnectResponse(_message.Message):
    __slots__ = ["ack", "online_inquiry", "prescription_request", "training_data"]
    ACK_FIELD_NUMBER: _ClassVar[int]
    ONLINE_INQUIRY_FIELD_NUMBER: _ClassVar[int]
    PRESCRIPTION_REQUEST_FIELD_NUMBER: _ClassVar[int]
    TRAINING_DATA_FIELD_NUMBER: _ClassVar[int]
    ack: Ack
    online_inquiry: OnlineInquiry
    prescription_request: PrescriptionRequest
    training_data: TrainingData
    def __init__(self, ack: _Optional[_Union[Ack, _Mapping]] = ..., online_inquiry: _Optional[_Union[OnlineInquiry, _Mapping]] = ..., training_data: _Optional[_Union[TrainingData, _Mapping]] = ..., prescription_request: _Optional[_Union[PrescriptionRequest, _Mapping]] = ...) -> None: ...

class DataReport(_message.Message):
    __slots__ = ["applicable", "plugin_id", "project_id"]
    APPLICABLE_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    applicable: bool
    plugin_id: int
    project_id: int
    def __init__(self, project_id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., applicable: bool = ...) -> None: ...

class ErrorReport(_message.Message):
    __slots__ = ["detail", "plugin_id", "project_id"]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    detail: str
    plugin_id: int
    project_id: int
    def __init__(self, project_id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., detail: _Optional[str] = ...) -> None: ...

class ModelName(_message.Message):
    __slots__ = ["model_name", "plugin_id", "project_id"]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    plugin_id: int
    project_id: int
    def __init__(self, project_id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., model_name: _Optional[str] = ...) -> None: ...

class OnlineInquiry(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class OnlineReport(_message.Message):
    __slots__ = ["description", "id", "name", "needed_columns", "parameters", "prescribes", "type"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEEDED_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PRESCRIBES_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    description: str
    id: str
    name: str
    needed_columns: _containers.RepeatedScalarFieldContainer[_definition_pb2.ColumnDefinition]
    parameters: _struct_pb2.Struct
    prescribes: bool
    type: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., needed_columns: _Optional[_Iterable[_Union[_definition_pb2.ColumnDefinition, str]]] = ..., prescribes: bool = ...) -> None: ...

class PrescriptionError(_message.Message):
    __slots__ = ["detail", "request_id"]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    detail: str
    request_id: str
    def __init__(self, request_id: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class PrescriptionRequest(_message.Message):
    __slots__ = ["additional_info", "case_prefix", "dataset_name", "definition", "model_name", "parameters", "plugin_id", "project_id", "request_id"]
    ADDITIONAL_INFO_FIELD_NUMBER: _ClassVar[int]
    CASE_PREFIX_FIELD_NUMBER: _ClassVar[int]
    DATASET_NAME_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    additional_info: _struct_pb2.Struct
    case_prefix: CasePrefix
    dataset_name: str
    definition: _definition_pb2.EventLogDefinition
    model_name: str
    parameters: _struct_pb2.Struct
    plugin_id: int
    project_id: int
    request_id: str
    def __init__(self, request_id: _Optional[str] = ..., project_id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., model_name: _Optional[str] = ..., dataset_name: _Optional[str] = ..., case_prefix: _Optional[_Union[CasePrefix, _Mapping]] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., additional_info: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., definition: _Optional[_Union[_definition_pb2.EventLogDefinition, _Mapping]] = ...) -> None: ...

class PrescriptionResult(_message.Message):
    __slots__ = ["last", "prescriptions", "request_id"]
    LAST_FIELD_NUMBER: _ClassVar[int]
    PRESCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    last: bool
    prescriptions: _containers.RepeatedCompositeFieldContainer[_prescription_pb2.CasePrescription]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ..., prescriptions: _Optional[_Iterable[_Union[_prescription_pb2.CasePrescription, _Mapping]]] = ..., last: bool = ...) -> None: ...

class TrainingData(_message.Message):
    __slots__ = ["additional_info", "definition", "parameters", "plugin_id", "project_id", "training_df_name"]
    ADDITIONAL_INFO_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TRAINING_DF_NAME_FIELD_NUMBER: _ClassVar[int]
    additional_info: _struct_pb2.Struct
    definition: _definition_pb2.EventLogDefinition
    parameters: _struct_pb2.Struct
    plugin_id: int
    project_id: int
    training_df_name: str
    def __init__(self, project_id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., training_df_name: _Optional[str] = ..., additional_info: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., definition: _Optional[_Union[_definition_pb2.EventLogDefinition, _Mapping]] = ...) -> None: ...

class TrainingStart(_message.Message):
    __slots__ = ["plugin_id", "project_id"]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    plugin_id: int
    project_id: int
    def __init__(self, project_id: _Optional[int] = ..., plugin_id: _Optional[int] = ...) -> None: ...
