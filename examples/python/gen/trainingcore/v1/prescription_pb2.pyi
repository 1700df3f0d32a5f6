from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CasePrescription(_message.Message):
    __slots__ = ["case_id", "prescription"]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PRESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    prescription: Prescription
    def __init__(self, case_id: _Optional[str] = ..., prescription: _Optional[_Union[Prescription, _Mapping]] = ...) -> None: ...

class Prescription(_message.Message):
    __slots__ = ["detail", "model", "output", "type"]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    detail: str
    model: _struct_pb2.Struct
    output: _struct_pb2.Value
    type: str
    def __init__(self, type: _Optional[str] = ..., output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., detail: _Optional[str] = ..., model: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
