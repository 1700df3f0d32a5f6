/** Event logs with meaning: column definitions, inference, values, rules, labels, outputs. */
export {
  type AttributeDefinition,
  type ColumnDefinition,
  columnDefinitions,
  isColumnDefinition,
  isOperator,
  isRoleDefinition,
  type Operator,
  operators,
  operatorsFor,
  type RequestedColumnDefinition,
  type RequestedOperator,
  type RoleDefinition,
  roleDefinitions,
  takesValue,
  type ValueType,
  valueTypeOf,
} from "./column-definition.js";
export { type ColumnReference, resolveColumn } from "./column-references.js";
export type {
  CaseRule,
  Condition,
  ConditionGroup,
  EffectiveDefinition,
  EventLogDefinition,
} from "./definition.js";
export { columnsDefinedAs, emptyDefinition, givenRule, outcomeRule } from "./definition.js";
export {
  definitionToJson,
  effectiveDefinitionFromJson,
  requestedDefinitionFromJson,
} from "./definition-json.js";
export {
  type DefinitionSources,
  effectiveDefinition,
  inferDefinitions,
  type TypedHint,
} from "./inference.js";
export { type CaseLabeler, type CaseLabels, caseLabels, createLabeler } from "./labels.js";
export {
  type LabelCounts,
  notApplicableDetail,
  type TrainingSetSummary,
  unmetNeeds,
} from "./needed-columns.js";
export type { LogEvent } from "./rules.js";
export { CellValueError, type TrainingColumn, trainingColumns } from "./training-columns.js";
export { type ResolvedDefinition, resolveDefinition, validateDefinition } from "./validation.js";
export {
  cannotRead,
  formatTimestamp,
  isCanonicalShape,
  isMissing,
  type Parsed,
  parseBoolean,
  parseDuration,
  parseNumber,
  parseTimestamp,
  readBoolean,
  readDuration,
  readNumber,
  readTimestamp,
} from "./values.js";
