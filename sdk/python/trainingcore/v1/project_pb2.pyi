from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from . import definition_pb2 as _definition_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
PLUGIN_STATUS_ERROR: PluginStatus
PLUGIN_STATUS_NOT_APPLICABLE: PluginStatus
PLUGIN_STATUS_PREPROCESSING: PluginStatus
PLUGIN_STATUS_TRAINED: PluginStatus
PLUGIN_STATUS_TRAINING: PluginStatus
PLUGIN_STATUS_UNSPECIFIED: PluginStatus
PLUGIN_STATUS_WAITING: PluginStatus
PROJECT_STATUS_ERROR: ProjectStatus
PROJECT_STATUS_PREPROCESSING: ProjectStatus
PROJECT_STATUS_TRAINED: ProjectStatus
PROJECT_STATUS_TRAINING: ProjectStatus
PROJECT_STATUS_UNSPECIFIED: ProjectStatus

class Dataset(_message.Message):
    __slots__ = ["case_id_column", "cases", "columns", "holdout_df_name", "holdout_rows", "positive_cases", "rows", "training_df_name", "training_rows", "treated_cases"]
    CASES_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_COLUMN_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    HOLDOUT_DF_NAME_FIELD_NUMBER: _ClassVar[int]
    HOLDOUT_ROWS_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_CASES_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_DF_NAME_FIELD_NUMBER: _ClassVar[int]
    TRAINING_ROWS_FIELD_NUMBER: _ClassVar[int]
    TREATED_CASES_FIELD_NUMBER: _ClassVar[int]
    case_id_column: str
    cases: int
    columns: _containers.RepeatedScalarFieldContainer[str]
    holdout_df_name: str
    holdout_rows: int
    positive_cases: int
    rows: int
    training_df_name: str
    training_rows: int
    treated_cases: int
    def __init__(self, training_df_name: _Optional[str] = ..., rows: _Optional[int] = ..., training_rows: _Optional[int] = ..., holdout_rows: _Optional[int] = ..., cases: _Optional[int] = ..., columns: _Optional[_Iterable[str]] = ..., case_id_column: _Optional[str] = ..., holdout_df_name: _Optional[str] = ..., positive_cases: _Optional[int] = ..., treated_cases: _Optional[int] = ...) -> None: ...

class PluginInfo(_message.Message):
    __slots__ = ["description", "instances", "key", "last_seen", "name", "online", "parameters", "prescribes", "type"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PRESCRIBES_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    description: str
    instances: int
    key: str
    last_seen: _timestamp_pb2.Timestamp
    name: str
    online: bool
    parameters: _struct_pb2.Struct
    prescribes: bool
    type: str
    def __init__(self, key: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., online: bool = ..., instances: _Optional[int] = ..., last_seen: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., prescribes: bool = ...) -> None: ...

class PreprocessingProgress(_message.Message):
    __slots__ = ["bytes_done", "bytes_total", "done", "rows_done"]
    BYTES_DONE_FIELD_NUMBER: _ClassVar[int]
    BYTES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    ROWS_DONE_FIELD_NUMBER: _ClassVar[int]
    bytes_done: int
    bytes_total: int
    done: bool
    rows_done: int
    def __init__(self, rows_done: _Optional[int] = ..., bytes_done: _Optional[int] = ..., bytes_total: _Optional[int] = ..., done: bool = ...) -> None: ...

class Project(_message.Message):
    __slots__ = ["created_at", "dataset", "definition", "description", "error", "id", "name", "plugin_keys", "plugins", "preprocessing", "request_id", "source_project_id", "status", "updated_at"]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLUGINS_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_KEYS_FIELD_NUMBER: _ClassVar[int]
    PREPROCESSING_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    dataset: Dataset
    definition: _definition_pb2.EventLogDefinition
    description: str
    error: str
    id: int
    name: str
    plugin_keys: _containers.RepeatedScalarFieldContainer[str]
    plugins: _containers.RepeatedCompositeFieldContainer[ProjectPlugin]
    preprocessing: PreprocessingProgress
    request_id: str
    source_project_id: int
    status: ProjectStatus
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[_Union[ProjectStatus, str]] = ..., error: _Optional[str] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., dataset: _Optional[_Union[Dataset, _Mapping]] = ..., plugins: _Optional[_Iterable[_Union[ProjectPlugin, _Mapping]]] = ..., request_id: _Optional[str] = ..., plugin_keys: _Optional[_Iterable[str]] = ..., preprocessing: _Optional[_Union[PreprocessingProgress, _Mapping]] = ..., definition: _Optional[_Union[_definition_pb2.EventLogDefinition, _Mapping]] = ..., source_project_id: _Optional[int] = ...) -> None: ...

class ProjectEvent(_message.Message):
    __slots__ = ["detail", "event_id", "plugin_id", "plugin_key", "plugin_status", "project_id", "project_status", "time"]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_KEY_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_STATUS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    detail: str
    event_id: int
    plugin_id: int
    plugin_key: str
    plugin_status: PluginStatus
    project_id: int
    project_status: ProjectStatus
    time: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[int] = ..., project_id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., plugin_key: _Optional[str] = ..., project_status: _Optional[_Union[ProjectStatus, str]] = ..., plugin_status: _Optional[_Union[PluginStatus, str]] = ..., detail: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProjectPlugin(_message.Message):
    __slots__ = ["error", "key", "model_name", "model_size_bytes", "plugin_id", "serving", "status", "updated_at"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    SERVING_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    error: str
    key: str
    model_name: str
    model_size_bytes: int
    plugin_id: int
    serving: bool
    status: PluginStatus
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, plugin_id: _Optional[int] = ..., key: _Optional[str] = ..., status: _Optional[_Union[PluginStatus, str]] = ..., model_name: _Optional[str] = ..., error: _Optional[str] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., model_size_bytes: _Optional[int] = ..., serving: bool = ...) -> None: ...

class ProjectStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PluginStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
