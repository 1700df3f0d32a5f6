from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from . import definition_pb2 as _definition_pb2
from . import project_pb2 as _project_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateProjectRequest(_message.Message):
    __slots__ = ["additional_info", "case_id_column", "dataset_csv", "dataset_id", "definition", "description", "holdout_fraction", "name", "parameters", "plugin_keys", "request_id", "source_project_id"]
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
    SOURCE_PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
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
    source_project_id: int
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., dataset_csv: _Optional[bytes] = ..., case_id_column: _Optional[str] = ..., holdout_fraction: _Optional[float] = ..., plugin_keys: _Optional[_Iterable[str]] = ..., parameters: _Optional[_Mapping[str, _struct_pb2.Struct]] = ..., additional_info: _Optional[_Mapping[str, _struct_pb2.Struct]] = ..., request_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., definition: _Optional[_Union[_definition_pb2.EventLogDefinition, _Mapping]] = ..., source_project_id: _Optional[int] = ...) -> None: ...

class CreateProjectResponse(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ...) -> None: ...

class DeleteProjectRequest(_message.Message):
    __slots__ = ["project_id"]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: int
    def __init__(self, project_id: _Optional[int] = ...) -> None: ...

class DeleteProjectResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

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

class SetPluginServingRequest(_message.Message):
    __slots__ = ["plugin_id", "project_id", "serving"]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SERVING_FIELD_NUMBER: _ClassVar[int]
    plugin_id: int
    project_id: int
    serving: bool
    def __init__(self, project_id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., serving: bool = ...) -> None: ...

class SetPluginServingResponse(_message.Message):
    __slots__ = ["plugin"]
    PLUGIN_FIELD_NUMBER: _ClassVar[int]
    plugin: _project_pb2.ProjectPlugin
    def __init__(self, plugin: _Optional[_Union[_project_pb2.ProjectPlugin, _Mapping]] = ...) -> None: ...

class UpdateProjectRequest(_message.Message):
    __slots__ = ["description", "name", "project_id", "update_mask"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    description: str
    name: str
    project_id: int
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, project_id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateProjectResponse(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ...) -> None: ...

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
