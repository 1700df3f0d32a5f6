/** Prescription jobs for people (tables, progress lines) and for scripts (JSON). */
import type { Prescription } from "../gen/trainingcore/v1/prescription.js";
import {
  type CaseResult,
  type JobPlugin,
  JobPluginStatus,
  type JobStatus,
  jobPluginStatusToJSON,
  jobStatusToJSON,
  type PrescriptionJob,
} from "../gen/trainingcore/v1/prescription_service.js";
import { formatTime, table } from "./format.js";

/** `DONE` for JOB_STATUS_DONE. */
export function jobStatusName(value: JobStatus): string {
  return jobStatusToJSON(value).replace(/^JOB_STATUS_/, "");
}

/** `TIMED_OUT` for JOB_PLUGIN_STATUS_TIMED_OUT. */
export function jobPluginStatusName(value: JobPluginStatus): string {
  return jobPluginStatusToJSON(value).replace(/^JOB_PLUGIN_STATUS_/, "");
}

const time = (date: Date | undefined) => (date ? date.toISOString() : null);

export function jobJson(job: PrescriptionJob) {
  return {
    jobId: job.jobId,
    projectId: job.projectId,
    status: jobStatusToJSON(job.status),
    error: job.error,
    cases: job.cases,
    plugins: job.plugins.map((plugin) => ({
      pluginId: plugin.pluginId,
      key: plugin.key,
      status: jobPluginStatusToJSON(plugin.status),
      casesDone: plugin.casesDone,
      detail: plugin.detail,
    })),
    createdAt: time(job.createdAt),
    finishedAt: time(job.finishedAt),
    requestId: job.requestId,
  };
}

export function caseResultJson(result: CaseResult) {
  const prescriptions: Record<string, unknown> = {};
  for (const [key, prescription] of Object.entries(result.prescriptions)) {
    prescriptions[key] = {
      type: prescription.type,
      output: prescription.output ?? null,
      detail: prescription.detail,
      model: prescription.model ?? {},
    };
  }
  return { caseId: result.caseId, prescriptions };
}

/** One line: `job_… RUNNING, 120 cases: alarm DONE 120/120, next RUNNING 40/120`. */
export function jobLine(job: PrescriptionJob): string {
  const plugins = job.plugins.map((plugin) => pluginCell(plugin, job.cases));
  const cases = job.cases === 1 ? "1 case" : `${job.cases} cases`;
  const head = `${job.jobId} ${jobStatusName(job.status)}, ${cases}`;
  const error = job.error ? `: ${job.error}` : "";
  return plugins.length > 0 ? `${head}: ${plugins.join(", ")}${error}` : `${head}${error}`;
}

function pluginCell(plugin: JobPlugin, cases: number): string {
  const name = jobPluginStatusName(plugin.status);
  if (plugin.status === JobPluginStatus.JOB_PLUGIN_STATUS_NOT_SERVING)
    return `${plugin.key} ${name}`;
  return `${plugin.key} ${name} ${plugin.casesDone}/${cases}`;
}

/** The job and its plugins, for `job get`. */
export function jobDetails(job: PrescriptionJob): string {
  const lines = [
    `job ${job.jobId} of project ${job.projectId}: ${jobStatusName(job.status)}`,
    `cases: ${job.cases}   created: ${formatTime(job.createdAt)}   finished: ${formatTime(job.finishedAt)}`,
  ];
  if (job.requestId) lines.push(`request id: ${job.requestId}`);
  if (job.error) lines.push(`error: ${job.error}`);
  if (job.plugins.length > 0) {
    lines.push(
      table(
        ["PLUGIN", "KEY", "STATUS", "CASES DONE", "DETAIL"],
        job.plugins.map((p) => [
          String(p.pluginId),
          p.key,
          jobPluginStatusName(p.status),
          String(p.casesDone),
          p.detail,
        ]),
      ),
    );
  }
  return lines.join("\n");
}

export function jobsTable(jobs: readonly PrescriptionJob[]): string {
  return table(
    ["JOB", "STATUS", "CASES", "PLUGINS", "CREATED"],
    jobs.map((job) => [
      job.jobId,
      jobStatusName(job.status),
      String(job.cases),
      job.plugins.map((plugin) => pluginCell(plugin, job.cases)).join(", "),
      formatTime(job.createdAt),
    ]),
  );
}

/** Cases × plugin keys: the output, or `—` with why there is none; blank while still to come. */
export function resultsTable(keys: readonly string[], cases: readonly CaseResult[]): string {
  return table(
    ["CASE", ...keys],
    cases.map((result) => [result.caseId, ...keys.map((key) => cell(result.prescriptions[key]))]),
  );
}

function cell(prescription: Prescription | undefined): string {
  if (!prescription) return "";
  const output = prescription.output;
  if (output === null || output === undefined) return `— ${prescription.detail}`.trimEnd();
  return typeof output === "string" ? output : JSON.stringify(output);
}

/** The keys of the plugins that take part (every one but those that do not serve). */
export function servingKeys(job: PrescriptionJob): string[] {
  return job.plugins
    .filter((plugin) => plugin.status !== JobPluginStatus.JOB_PLUGIN_STATUS_NOT_SERVING)
    .map((plugin) => plugin.key);
}
