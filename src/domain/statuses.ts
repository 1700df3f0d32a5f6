/** Statuses of one plugin's membership in one project, in the order of the happy path. */
export const pluginStatuses = [
  "WAITING",
  "PREPROCESSING",
  "TRAINING",
  "TRAINED",
  "NOT_APPLICABLE",
  "ERROR",
] as const;
export type PluginStatus = (typeof pluginStatuses)[number];

export const projectStatuses = ["PREPROCESSING", "TRAINING", "TRAINED", "ERROR"] as const;
export type ProjectStatus = (typeof projectStatuses)[number];

/** A plugin status from which no report moves the plugin any more. */
export function isFinalPluginStatus(status: PluginStatus): boolean {
  return status === "TRAINED" || status === "NOT_APPLICABLE" || status === "ERROR";
}

/** A project status that never changes again. */
export function isFinalProjectStatus(status: ProjectStatus): boolean {
  return status === "TRAINED" || status === "ERROR";
}

export function isPluginStatus(value: string): value is PluginStatus {
  return (pluginStatuses as readonly string[]).includes(value);
}

export function isProjectStatus(value: string): value is ProjectStatus {
  return (projectStatuses as readonly string[]).includes(value);
}
