from trainingcore.v1 import definition_pb2 as _definition_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DownloadDatasetRequest(_message.Message):
    __slots__ = ["offset", "training_df_name"]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TRAINING_DF_NAME_FIELD_NUMBER: _ClassVar[int]
    offset: int
    training_df_name: str
    def __init__(self, training_df_name: _Optional[str] = ..., offset: _Optional[int] = ...) -> None: ...

class DownloadDatasetResponse(_message.Message):
    __slots__ = ["chunk"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    def __init__(self, chunk: _Optional[bytes] = ...) -> None: ...

class InspectDatasetRequest(_message.Message):
    __slots__ = ["dataset", "dataset_id"]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    dataset: bytes
    dataset_id: str
    def __init__(self, dataset_id: _Optional[str] = ..., dataset: _Optional[bytes] = ...) -> None: ...

class InspectDatasetResponse(_message.Message):
    __slots__ = ["columns", "format", "inferred", "sample_rows"]
    class InferredEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _definition_pb2.ColumnDefinition
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_definition_pb2.ColumnDefinition, str]] = ...) -> None: ...
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    INFERRED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_ROWS_FIELD_NUMBER: _ClassVar[int]
    columns: _containers.RepeatedScalarFieldContainer[str]
    format: str
    inferred: _containers.ScalarMap[str, _definition_pb2.ColumnDefinition]
    sample_rows: _containers.RepeatedCompositeFieldContainer[SampleRow]
    def __init__(self, columns: _Optional[_Iterable[str]] = ..., inferred: _Optional[_Mapping[str, _definition_pb2.ColumnDefinition]] = ..., sample_rows: _Optional[_Iterable[_Union[SampleRow, _Mapping]]] = ..., format: _Optional[str] = ...) -> None: ...

class SampleRow(_message.Message):
    __slots__ = ["values"]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class UploadDatasetRequest(_message.Message):
    __slots__ = ["chunk", "metadata"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    metadata: UploadMetadata
    def __init__(self, metadata: _Optional[_Union[UploadMetadata, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class UploadDatasetResponse(_message.Message):
    __slots__ = ["dataset_id", "sha256", "size_bytes"]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    sha256: str
    size_bytes: int
    def __init__(self, dataset_id: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class UploadMetadata(_message.Message):
    __slots__ = ["file_name", "sha256", "size_bytes"]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    sha256: str
    size_bytes: int
    def __init__(self, file_name: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...
