/**
 * Per-phase deadlines: how long a plugin may stay in each unfinished status before the core
 * gives up on it. WAITING waits for a DataReport, PREPROCESSING for TrainingStart, TRAINING for
 * ModelName. Pure: no I/O.
 */
import type { PluginStatus } from "./statuses.js";

export interface PhaseTimeouts {
  readonly dataReportMs: number;
  readonly trainingStartMs: number;
  readonly trainingMs: number;
}

interface Phase {
  readonly timeout: keyof PhaseTimeouts;
  readonly awaited: string;
  readonly setting: string;
}

const phases: Partial<Record<PluginStatus, Phase>> = {
  WAITING: {
    timeout: "dataReportMs",
    awaited: "DataReport",
    setting: "CORE_DATA_REPORT_TIMEOUT_MS",
  },
  PREPROCESSING: {
    timeout: "trainingStartMs",
    awaited: "TrainingStart",
    setting: "CORE_TRAINING_START_TIMEOUT_MS",
  },
  TRAINING: { timeout: "trainingMs", awaited: "ModelName", setting: "CORE_TRAINING_TIMEOUT_MS" },
};

/** When a plugin that entered `status` at `enteredMs` runs out of time; null once finished. */
export function deadlineFor(
  status: PluginStatus,
  timeouts: PhaseTimeouts,
  enteredMs: number,
): number | null {
  const phase = phases[status];
  return phase ? enteredMs + timeouts[phase.timeout] : null;
}

/** The error stored when the deadline of `status` passed, naming the setting to change. */
export function deadlineMissedReason(status: PluginStatus, timeouts: PhaseTimeouts): string {
  const phase = phases[status];
  if (!phase) return `deadline passed in status ${status}`;
  return `deadline passed: no ${phase.awaited} within ${timeouts[phase.timeout]} ms (${phase.setting})`;
}
