/** The columns of a project's effective definition the live commands use: time and activity. */
import { ColumnDefinition, type EventLogDefinition } from "../gen/trainingcore/v1/definition.js";

function columnDefinedAs(
  definition: EventLogDefinition | undefined,
  wanted: ColumnDefinition,
): string | undefined {
  return Object.entries(definition?.columns ?? {}).find(([, d]) => d === wanted)?.[0];
}

/** The column events are ordered by: TIMESTAMP, else START_TIMESTAMP, else END_TIMESTAMP. */
export function timeColumnOf(definition: EventLogDefinition | undefined): string | undefined {
  return [
    ColumnDefinition.COLUMN_DEFINITION_TIMESTAMP,
    ColumnDefinition.COLUMN_DEFINITION_START_TIMESTAMP,
    ColumnDefinition.COLUMN_DEFINITION_END_TIMESTAMP,
  ]
    .map((wanted) => columnDefinedAs(definition, wanted))
    .find((name) => name !== undefined);
}

export function activityColumnOf(definition: EventLogDefinition | undefined): string | undefined {
  return columnDefinedAs(definition, ColumnDefinition.COLUMN_DEFINITION_ACTIVITY);
}
