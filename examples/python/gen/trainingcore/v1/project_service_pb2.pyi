from google.protobuf import struct_pb2 as _struct_pb2
from trainingcore.v1 import definition_pb2 as _definition_pb2
from trainingcore.v1 import project_pb2 as _project_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateProjectRequest(_message.Message):
    __slots__ = ["additional_info", "case_id_column", "dataset_csv", "dataset_id", "definition", "description", "holdout_fraction", "name", "parameters", "plugin_keys", "request_id"]
    class AdditionalInfoEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Struct
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
    class ParametersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Struct
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
    ADDITIONAL_INFO_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_COLUMN_FIELD_NUMBER: _ClassVar[int]
    DATASET_CSV_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    HOLDOUT_FRACTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_KEYS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    additional_info: _containers.MessageMap[str, _struct_pb2.Struct]
    case_id_column: str
    dataset_csv: bytes
    dataset_id: str
    definition: _definition_pb2.EventLogDefinition
    description: str
    holdout_fraction: float
    name: str
    parameters: _containers.MessageMap[str, _struct_pb2.Struct]
    plugin_keys: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., dataset_csv: _Optional[bytes] = ..., case_id_column: _Optional[str] = ..., holdout_fraction: _Optional[float] = ..., plugin_keys: _Optional[_Iterable[str]] = ..., parameters: _Optional[_Mapping[str, _struct_pb2.Struct]] = ..., additional_info: _Optional[_Mapping[str, _struct_pb2.Struct]] = ..., request_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., definition: _Optional[_Union[_definition_pb2.EventLogDefinition, _Mapping]] = ...) -> None: ...

class CreateProjectResponse(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ...) -> None: ...

class GetProjectRequest(_message.Message):
    __slots__ = ["project_id"]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: int
    def __init__(self, project_id: _Optional[int] = ...) -> None: ...

class GetProjectResponse(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ...) -> None: ...

class ListPluginsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListPluginsResponse(_message.Message):
    __slots__ = ["plugins"]
    PLUGINS_FIELD_NUMBER: _ClassVar[int]
    plugins: _containers.RepeatedCompositeFieldContainer[_project_pb2.PluginInfo]
    def __init__(self, plugins: _Optional[_Iterable[_Union[_project_pb2.PluginInfo, _Mapping]]] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProjectsResponse(_message.Message):
    __slots__ = ["next_page_token", "projects"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    projects: _containers.RepeatedCompositeFieldContainer[_project_pb2.Project]
    def __init__(self, projects: _Optional[_Iterable[_Union[_project_pb2.Project, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchProjectRequest(_message.Message):
    __slots__ = ["after_event_id", "project_id"]
    AFTER_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    after_event_id: int
    project_id: int
    def __init__(self, project_id: _Optional[int] = ..., after_event_id: _Optional[int] = ...) -> None: ...

class WatchProjectResponse(_message.Message):
    __slots__ = ["event"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _project_pb2.ProjectEvent
    def __init__(self, event: _Optional[_Union[_project_pb2.ProjectEvent, _Mapping]] = ...) -> None: ...
