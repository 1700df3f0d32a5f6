/**
 * Live progress of a project: the state built from GetProject and WatchProject events, shown as
 * a block redrawn in place on a terminal, as one appended line per event otherwise, or as JSON
 * Lines.
 */
import { createLogUpdate } from "log-update";
import {
  PluginStatus,
  type Project,
  type ProjectEvent,
  type ProjectStatus,
} from "../gen/trainingcore/v1/project.js";
import { formatClock, pluginStatusName, projectStatusName, table } from "./format.js";
import { eventJson, printJsonLine } from "./json.js";

interface PluginProgress {
  readonly pluginId: number;
  readonly key: string;
  status: PluginStatus;
  detail: string;
}

/** What is known of a project while it is followed. */
export class WatchState {
  status: ProjectStatus;
  error: string;
  lastEventId = 0;
  readonly plugins = new Map<number, PluginProgress>();

  constructor(readonly project: Project) {
    this.status = project.status;
    this.error = project.error;
    for (const p of project.plugins) {
      this.plugins.set(p.pluginId, {
        pluginId: p.pluginId,
        key: p.key,
        status: p.status,
        detail: p.modelName || p.error,
      });
    }
  }

  apply(event: ProjectEvent): void {
    this.lastEventId = event.eventId;
    this.status = event.projectStatus;
    if (event.pluginId === 0) {
      this.error = event.detail;
      return;
    }
    this.plugins.set(event.pluginId, {
      pluginId: event.pluginId,
      key: event.pluginKey,
      status: event.pluginStatus,
      detail: event.detail,
    });
  }
}

export interface Progress {
  /** Shows an event already applied to the state. */
  event(event: ProjectEvent): void;
  /** Ends the display: the live block is erased (the summary replaces it). */
  stop(): void;
}

export type ProgressMode = "live" | "lines" | "jsonl" | "none";

export function createProgress(mode: ProgressMode, state: WatchState): Progress {
  switch (mode) {
    case "live":
      return new LiveProgress(state);
    case "lines":
      return { event: (event) => process.stdout.write(`${eventLine(event)}\n`), stop() {} };
    case "jsonl":
      return { event: (event) => printJsonLine(eventJson(event)), stop() {} };
    case "none":
      return { event() {}, stop() {} };
  }
}

/** `14:03:09  knn #3  TRAINED  knn-3.pkl` or `14:03:09  project 12  TRAINED`. */
export function eventLine(event: ProjectEvent): string {
  const subject =
    event.pluginId === 0 ? `project ${event.projectId}` : `${event.pluginKey} #${event.pluginId}`;
  const status =
    event.pluginId === 0
      ? projectStatusName(event.projectStatus)
      : pluginStatusName(event.pluginStatus);
  const columns = [formatClock(event.time), subject.padEnd(12), status.padEnd(14), event.detail];
  return columns.join("  ").trimEnd();
}

function elapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/** A block redrawn in place: a header line and one line per plugin, refreshed every second. */
class LiveProgress implements Progress {
  private readonly log = createLogUpdate(process.stdout);
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly state: WatchState) {
    this.timer = setInterval(() => this.render(), 1000);
    this.timer.unref();
    this.render();
  }

  event(): void {
    this.render();
  }

  stop(): void {
    clearInterval(this.timer);
    this.log.clear();
    this.log.done();
  }

  private render(): void {
    const { project, status } = this.state;
    const header = `project ${project.id} ${JSON.stringify(project.name)}  ${projectStatusName(status)}  ${elapsed(Date.now() - this.started)}`;
    const plugins = [...this.state.plugins.values()];
    const rows = plugins.map((p) => [
      `#${p.pluginId}`,
      p.key,
      `${pluginStatusName(p.status)}${p.status === PluginStatus.PLUGIN_STATUS_TRAINING ? "…" : ""}`,
      p.detail,
    ]);
    const body =
      plugins.length === 0
        ? "preprocessing the dataset…"
        : table(["PLUGIN", "KEY", "STATUS", "DETAIL"], fitLastColumn(rows));
    const indented = body
      .split("\n")
      .map((line) => `  ${line}`)
      .join("\n");
    this.log(`${header}\n${indented}`);
  }
}

/**
 * Cuts the last cell of each row (a detail such as why a plugin is NOT_APPLICABLE) to what the
 * terminal has left beside the other columns, so that the block stays one line per plugin; the
 * summary after the end shows it whole.
 */
function fitLastColumn(rows: string[][]): string[][] {
  const headWidths = [6, 3, 6]; // PLUGIN, KEY, STATUS
  const widths = headWidths.map((head, i) => Math.max(head, ...rows.map((r) => r[i]?.length ?? 0)));
  // Indent of 2, two spaces between columns.
  const used = 2 + widths.reduce((sum, width) => sum + width + 2, 0);
  const room = Math.max(20, (process.stdout.columns || 80) - used - 1);
  return rows.map((row) => {
    const detail = row[3] ?? "";
    return detail.length > room ? [...row.slice(0, 3), `${detail.slice(0, room - 1)}…`] : row;
  });
}
