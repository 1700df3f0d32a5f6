/** Human output: borderless tables (easy to read, grep and cut), status names, times, sizes. */
import Table from "cli-table3";
import {
  type PluginInfo,
  type PluginStatus,
  type Project,
  type ProjectPlugin,
  ProjectStatus,
  pluginStatusToJSON,
  projectStatusToJSON,
} from "../gen/trainingcore/v1/project.js";

const borderless = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "  ",
};

/** Columns separated by two spaces; no colours, no borders, no trailing blanks. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const t = new Table({
    head: [...head],
    chars: borderless,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  for (const row of rows) t.push([...row]);
  return t
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

/** `TRAINED` for PROJECT_STATUS_TRAINED. */
export function projectStatusName(value: ProjectStatus): string {
  return projectStatusToJSON(value).replace(/^PROJECT_STATUS_/, "");
}

/** `NOT_APPLICABLE` for PLUGIN_STATUS_NOT_APPLICABLE. */
export function pluginStatusName(value: PluginStatus): string {
  return pluginStatusToJSON(value).replace(/^PLUGIN_STATUS_/, "");
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Local time as `2024-05-01 14:03:09`; `-` when unset. */
export function formatTime(date: Date | undefined): string {
  if (!date) return "-";
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${formatClock(date)}`;
}

/** Local time of day as `14:03:09`. */
export function formatClock(date: Date | undefined): string {
  if (!date) return "--:--:--";
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Megabytes with one decimal: `12.3 MB`. */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** A project's plugins in one cell: `knn TRAINED, lstm ERROR`, or the targeted keys before. */
function pluginsCell(project: Project): string {
  if (project.plugins.length === 0) return project.pluginKeys.join(", ");
  return project.plugins.map((p) => `${p.key} ${pluginStatusName(p.status)}`).join(", ");
}

export function projectsTable(projects: readonly Project[]): string {
  return table(
    ["ID", "NAME", "STATUS", "PLUGINS", "CREATED"],
    projects.map((p) => [
      String(p.id),
      p.name,
      projectStatusName(p.status),
      pluginsCell(p),
      formatTime(p.createdAt),
    ]),
  );
}

export function pluginsTable(plugins: readonly PluginInfo[]): string {
  return table(
    ["KEY", "NAME", "TYPE", "ONLINE", "INSTANCES", "LAST SEEN"],
    plugins.map((p) => [
      p.key,
      p.name,
      p.type,
      p.online ? "yes" : "no",
      String(p.instances),
      formatTime(p.lastSeen),
    ]),
  );
}

export function projectPluginsTable(plugins: readonly ProjectPlugin[]): string {
  return table(
    ["PLUGIN ID", "KEY", "STATUS", "MODEL", "ERROR"],
    plugins.map((p) => [
      String(p.pluginId),
      p.key,
      pluginStatusName(p.status),
      // A model stored in the core can be exported with `model download`.
      p.modelSizeBytes > 0
        ? `${p.modelName} (stored, ${formatMegabytes(p.modelSizeBytes)})`
        : p.modelName,
      p.error,
    ]),
  );
}

/** The last line of `--wait` / `watch`: the final status with the models, or the error. */
export function outcomeLine(project: Project): string {
  const name = projectStatusName(project.status);
  const models = project.plugins
    .filter((p) => p.modelName !== "")
    .map((p) => `${p.key}: ${p.modelName}`);
  if (project.status === ProjectStatus.PROJECT_STATUS_ERROR) {
    return `project ${project.id} ended in ERROR: ${project.error || "no detail given"}`;
  }
  if (models.length > 0) return `project ${project.id} is ${name}; models: ${models.join(", ")}`;
  if (project.error) return `project ${project.id} is ${name}: ${project.error}`;
  return `project ${project.id} is ${name}`;
}
