from google.protobuf import timestamp_pb2 as _timestamp_pb2
from . import prescription_pb2 as _prescription_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
JOB_PLUGIN_STATUS_DONE: JobPluginStatus
JOB_PLUGIN_STATUS_ERROR: JobPluginStatus
JOB_PLUGIN_STATUS_NOT_SERVING: JobPluginStatus
JOB_PLUGIN_STATUS_RUNNING: JobPluginStatus
JOB_PLUGIN_STATUS_TIMED_OUT: JobPluginStatus
JOB_PLUGIN_STATUS_UNSPECIFIED: JobPluginStatus
JOB_PLUGIN_STATUS_WAITING: JobPluginStatus
JOB_STATUS_DONE: JobStatus
JOB_STATUS_ERROR: JobStatus
JOB_STATUS_PREPARING: JobStatus
JOB_STATUS_RUNNING: JobStatus
JOB_STATUS_UNSPECIFIED: JobStatus

class CaseResult(_message.Message):
    __slots__ = ["case_id", "prescriptions"]
    class PrescriptionsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _prescription_pb2.Prescription
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_prescription_pb2.Prescription, _Mapping]] = ...) -> None: ...
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PRESCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    prescriptions: _containers.MessageMap[str, _prescription_pb2.Prescription]
    def __init__(self, case_id: _Optional[str] = ..., prescriptions: _Optional[_Mapping[str, _prescription_pb2.Prescription]] = ...) -> None: ...

class ClearEventsRequest(_message.Message):
    __slots__ = ["project_id"]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: int
    def __init__(self, project_id: _Optional[int] = ...) -> None: ...

class ClearEventsResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeletePrescriptionJobRequest(_message.Message):
    __slots__ = ["job_id"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class DeletePrescriptionJobResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class Event(_message.Message):
    __slots__ = ["attributes", "case_completed"]
    class AttributesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    CASE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    attributes: _containers.ScalarMap[str, str]
    case_completed: bool
    def __init__(self, attributes: _Optional[_Mapping[str, str]] = ..., case_completed: bool = ...) -> None: ...

class GetPrescriptionJobRequest(_message.Message):
    __slots__ = ["job_id"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetPrescriptionJobResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: PrescriptionJob
    def __init__(self, job: _Optional[_Union[PrescriptionJob, _Mapping]] = ...) -> None: ...

class JobPlugin(_message.Message):
    __slots__ = ["cases_done", "detail", "key", "plugin_id", "status"]
    CASES_DONE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    cases_done: int
    detail: str
    key: str
    plugin_id: int
    status: JobPluginStatus
    def __init__(self, plugin_id: _Optional[int] = ..., key: _Optional[str] = ..., status: _Optional[_Union[JobPluginStatus, str]] = ..., cases_done: _Optional[int] = ..., detail: _Optional[str] = ...) -> None: ...

class ListPrescriptionJobsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "project_id"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    project_id: int
    def __init__(self, project_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPrescriptionJobsResponse(_message.Message):
    __slots__ = ["jobs", "next_page_token"]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[PrescriptionJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[PrescriptionJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPrescriptionsRequest(_message.Message):
    __slots__ = ["job_id", "page_size", "page_token"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    page_size: int
    page_token: str
    def __init__(self, job_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPrescriptionsResponse(_message.Message):
    __slots__ = ["cases", "next_page_token"]
    CASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[CaseResult]
    next_page_token: str
    def __init__(self, cases: _Optional[_Iterable[_Union[CaseResult, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PostEventsRequest(_message.Message):
    __slots__ = ["events", "project_id", "request_id"]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    project_id: int
    request_id: str
    def __init__(self, project_id: _Optional[int] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class PostEventsResponse(_message.Message):
    __slots__ = ["event_ids"]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    event_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, event_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class PrescribeDatasetRequest(_message.Message):
    __slots__ = ["dataset_csv", "dataset_id", "project_id", "request_id"]
    DATASET_CSV_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_csv: bytes
    dataset_id: str
    project_id: int
    request_id: str
    def __init__(self, project_id: _Optional[int] = ..., dataset_csv: _Optional[bytes] = ..., dataset_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class PrescribeDatasetResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: PrescriptionJob
    def __init__(self, job: _Optional[_Union[PrescriptionJob, _Mapping]] = ...) -> None: ...

class PrescribedEvent(_message.Message):
    __slots__ = ["attributes", "case_completed", "case_id", "event_id", "missing", "posted_at", "prescriptions"]
    class AttributesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class PrescriptionsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _prescription_pb2.Prescription
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_prescription_pb2.Prescription, _Mapping]] = ...) -> None: ...
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    CASE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    POSTED_AT_FIELD_NUMBER: _ClassVar[int]
    PRESCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    attributes: _containers.ScalarMap[str, str]
    case_completed: bool
    case_id: str
    event_id: int
    missing: _containers.RepeatedScalarFieldContainer[str]
    posted_at: _timestamp_pb2.Timestamp
    prescriptions: _containers.MessageMap[str, _prescription_pb2.Prescription]
    def __init__(self, event_id: _Optional[int] = ..., case_id: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ..., case_completed: bool = ..., prescriptions: _Optional[_Mapping[str, _prescription_pb2.Prescription]] = ..., missing: _Optional[_Iterable[str]] = ..., posted_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PrescriptionJob(_message.Message):
    __slots__ = ["cases", "created_at", "error", "finished_at", "job_id", "plugins", "project_id", "request_id", "status"]
    CASES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PLUGINS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    cases: int
    created_at: _timestamp_pb2.Timestamp
    error: str
    finished_at: _timestamp_pb2.Timestamp
    job_id: str
    plugins: _containers.RepeatedCompositeFieldContainer[JobPlugin]
    project_id: int
    request_id: str
    status: JobStatus
    def __init__(self, job_id: _Optional[str] = ..., project_id: _Optional[int] = ..., status: _Optional[_Union[JobStatus, str]] = ..., error: _Optional[str] = ..., cases: _Optional[int] = ..., plugins: _Optional[_Iterable[_Union[JobPlugin, _Mapping]]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SimulateProjectRequest(_message.Message):
    __slots__ = ["events_per_second", "max_events", "project_id"]
    EVENTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENTS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    events_per_second: float
    max_events: int
    project_id: int
    def __init__(self, project_id: _Optional[int] = ..., events_per_second: _Optional[float] = ..., max_events: _Optional[int] = ...) -> None: ...

class SimulateProjectResponse(_message.Message):
    __slots__ = ["event"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: PrescribedEvent
    def __init__(self, event: _Optional[_Union[PrescribedEvent, _Mapping]] = ...) -> None: ...

class WatchPrescriptionJobRequest(_message.Message):
    __slots__ = ["job_id"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class WatchPrescriptionJobResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: PrescriptionJob
    def __init__(self, job: _Optional[_Union[PrescriptionJob, _Mapping]] = ...) -> None: ...

class WatchPrescriptionsRequest(_message.Message):
    __slots__ = ["after_event_id", "project_id"]
    AFTER_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    after_event_id: int
    project_id: int
    def __init__(self, project_id: _Optional[int] = ..., after_event_id: _Optional[int] = ...) -> None: ...

class WatchPrescriptionsResponse(_message.Message):
    __slots__ = ["event"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: PrescribedEvent
    def __init__(self, event: _Optional[_Union[PrescribedEvent, _Mapping]] = ...) -> None: ...

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class JobPluginStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
