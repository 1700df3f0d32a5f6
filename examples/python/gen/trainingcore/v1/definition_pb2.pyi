from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

COLUMN_DEFINITION_ACTIVITY: ColumnDefinition
COLUMN_DEFINITION_BOOLEAN: ColumnDefinition
COLUMN_DEFINITION_CASE_ID: ColumnDefinition
COLUMN_DEFINITION_CATEGORICAL: ColumnDefinition
COLUMN_DEFINITION_COMPLETE_INDICATOR: ColumnDefinition
COLUMN_DEFINITION_COST: ColumnDefinition
COLUMN_DEFINITION_DATETIME: ColumnDefinition
COLUMN_DEFINITION_DURATION: ColumnDefinition
COLUMN_DEFINITION_END_TIMESTAMP: ColumnDefinition
COLUMN_DEFINITION_IGNORED: ColumnDefinition
COLUMN_DEFINITION_NUMBER: ColumnDefinition
COLUMN_DEFINITION_OUTCOME: ColumnDefinition
COLUMN_DEFINITION_RESOURCE: ColumnDefinition
COLUMN_DEFINITION_START_TIMESTAMP: ColumnDefinition
COLUMN_DEFINITION_TEXT: ColumnDefinition
COLUMN_DEFINITION_TIMESTAMP: ColumnDefinition
COLUMN_DEFINITION_TRANSITION: ColumnDefinition
COLUMN_DEFINITION_TREATMENT: ColumnDefinition
COLUMN_DEFINITION_UNSPECIFIED: ColumnDefinition
DESCRIPTOR: _descriptor.FileDescriptor
OPERATOR_CONTAINS: Operator
OPERATOR_EARLIER_THAN: Operator
OPERATOR_EARLIER_THAN_OR_EQUAL: Operator
OPERATOR_EQUAL: Operator
OPERATOR_GREATER_THAN: Operator
OPERATOR_GREATER_THAN_OR_EQUAL: Operator
OPERATOR_IS_FALSE: Operator
OPERATOR_IS_TRUE: Operator
OPERATOR_LATER_THAN: Operator
OPERATOR_LATER_THAN_OR_EQUAL: Operator
OPERATOR_LESS_THAN: Operator
OPERATOR_LESS_THAN_OR_EQUAL: Operator
OPERATOR_NOT_CONTAINS: Operator
OPERATOR_NOT_EQUAL: Operator
OPERATOR_UNSPECIFIED: Operator

class CaseRule(_message.Message):
    __slots__ = ["any_of"]
    ANY_OF_FIELD_NUMBER: _ClassVar[int]
    any_of: _containers.RepeatedCompositeFieldContainer[ConditionGroup]
    def __init__(self, any_of: _Optional[_Iterable[_Union[ConditionGroup, _Mapping]]] = ...) -> None: ...

class Condition(_message.Message):
    __slots__ = ["column", "operator", "value"]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    column: str
    operator: Operator
    value: str
    def __init__(self, column: _Optional[str] = ..., operator: _Optional[_Union[Operator, str]] = ..., value: _Optional[str] = ...) -> None: ...

class ConditionGroup(_message.Message):
    __slots__ = ["conditions"]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    conditions: _containers.RepeatedCompositeFieldContainer[Condition]
    def __init__(self, conditions: _Optional[_Iterable[_Union[Condition, _Mapping]]] = ...) -> None: ...

class EventLogDefinition(_message.Message):
    __slots__ = ["case_attributes", "columns", "negative_outcome", "positive_outcome", "treatment"]
    class ColumnsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ColumnDefinition
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ColumnDefinition, str]] = ...) -> None: ...
    CASE_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    TREATMENT_FIELD_NUMBER: _ClassVar[int]
    case_attributes: _containers.RepeatedScalarFieldContainer[str]
    columns: _containers.ScalarMap[str, ColumnDefinition]
    negative_outcome: CaseRule
    positive_outcome: CaseRule
    treatment: CaseRule
    def __init__(self, columns: _Optional[_Mapping[str, ColumnDefinition]] = ..., case_attributes: _Optional[_Iterable[str]] = ..., positive_outcome: _Optional[_Union[CaseRule, _Mapping]] = ..., negative_outcome: _Optional[_Union[CaseRule, _Mapping]] = ..., treatment: _Optional[_Union[CaseRule, _Mapping]] = ...) -> None: ...

class ColumnDefinition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Operator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
