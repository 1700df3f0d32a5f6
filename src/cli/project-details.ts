/**
 * `project get` for people: the project's fields, its dataset, its event-log definition (rules,
 * case attributes, label counts, then each column's meaning), then the plugin table.
 */
import type { Project } from "../gen/trainingcore/v1/project.js";
import { definitionFields, definitionTable } from "./definition-format.js";
import { formatTime, projectPluginsTable, projectStatusName } from "./format.js";

export function projectDetails(project: Project): string {
  const fields: [string, string][] = [
    ["id", String(project.id)],
    ["name", project.name],
    ["description", project.description],
    ["status", projectStatusName(project.status)],
    ["error", project.error],
    ["created", formatTime(project.createdAt)],
    ["updated", formatTime(project.updatedAt)],
    ["request id", project.requestId],
    ["plugin keys", project.pluginKeys.join(", ")],
    ["trained again from", project.sourceProjectId ? `project ${project.sourceProjectId}` : ""],
  ];
  const { dataset, definition } = project;
  if (dataset) {
    fields.push(
      [
        "rows",
        `${dataset.rows} (training ${dataset.trainingRows}, holdout ${dataset.holdoutRows})`,
      ],
      ["cases", String(dataset.cases)],
      ["case column", dataset.caseIdColumn || "(none: every row is a case)"],
      // With a definition, the table below lists the columns.
      ["columns", definition ? "" : dataset.columns.join(", ")],
      ["training set", dataset.trainingDfName],
      ["holdout set", dataset.holdoutDfName],
    );
  } else {
    fields.push(["dataset", "(not preprocessed yet)"]);
  }
  if (definition) fields.push(...definitionFields(definition, dataset));
  const shown = fields.filter(([, value]) => value !== "");
  const width = Math.max(...shown.map(([name]) => name.length)) + 2;
  const blocks = [shown.map(([name, value]) => `${`${name}:`.padEnd(width)}${value}`).join("\n")];
  if (definition) blocks.push(definitionTable(definition, dataset?.columns));
  blocks.push(
    project.plugins.length > 0
      ? projectPluginsTable(project.plugins)
      : dataset || project.error
        ? "no plugins"
        : "no plugins yet: they are assigned once the dataset is preprocessed",
  );
  return blocks.join("\n\n");
}
