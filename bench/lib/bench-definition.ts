/**
 * The event-log definition the `datasets` benchmark gives CreateProject with `--definition`,
 * for the synthetic log of `syntheticEventLog` (and its XES twin). Its cases last about 2 to 25
 * hours and a sixth of their events are each activity, so both rules give both classes.
 */
import {
  ColumnDefinition,
  type Condition,
  type EventLogDefinition,
  Operator,
} from "../../src/gen/trainingcore/v1/definition.js";

function condition(column: string, operator: Operator, value: string): Condition {
  return { column, operator, value };
}

export const benchDefinition: EventLogDefinition = {
  // Inference would read `case:startdate` and the `case:enddate…` columns as START and END
  // timestamps (their names say so); they are dates of the case, not of its events.
  columns: {
    "case:startdate": ColumnDefinition.COLUMN_DEFINITION_DATETIME,
    "case:enddate": ColumnDefinition.COLUMN_DEFINITION_DATETIME,
    "case:enddate_planned": ColumnDefinition.COLUMN_DEFINITION_DATETIME,
    "case:deadline": ColumnDefinition.COLUMN_DEFINITION_DATETIME,
  },
  caseAttributes: ["case:channel", "case:responsible"],
  negativeOutcome: {
    anyOf: [{ conditions: [condition("DURATION", Operator.OPERATOR_GREATER_THAN, "0.5 days")] }],
  },
  positiveOutcome: undefined,
  treatment: {
    anyOf: [
      {
        conditions: [
          condition("ACTIVITY", Operator.OPERATOR_EQUAL, "T06 Determine necessity of stop advice"),
        ],
      },
    ],
  },
};
