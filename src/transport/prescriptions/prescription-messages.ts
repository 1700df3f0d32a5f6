/** Mapping between PrescriptionService's protobuf messages and the jobs' views. */
import type { JobView } from "../../app/prescriptions/jobs/job-views.js";
import type { CaseResultView } from "../../app/prescriptions/jobs/list-prescriptions.js";
import type { PrescribedEventView } from "../../app/prescriptions/stream/watch-events.js";
import type { Prescription } from "../../gen/trainingcore/v1/prescription.js";
import {
  type CaseResult,
  JobPluginStatus,
  JobStatus,
  type PrescribedEvent,
  type PrescriptionJob,
} from "../../gen/trainingcore/v1/prescription_service.js";

const jobStatuses: Record<string, JobStatus> = {
  PREPARING: JobStatus.JOB_STATUS_PREPARING,
  RUNNING: JobStatus.JOB_STATUS_RUNNING,
  DONE: JobStatus.JOB_STATUS_DONE,
  ERROR: JobStatus.JOB_STATUS_ERROR,
};

const pluginStatuses: Record<string, JobPluginStatus> = {
  WAITING: JobPluginStatus.JOB_PLUGIN_STATUS_WAITING,
  RUNNING: JobPluginStatus.JOB_PLUGIN_STATUS_RUNNING,
  DONE: JobPluginStatus.JOB_PLUGIN_STATUS_DONE,
  ERROR: JobPluginStatus.JOB_PLUGIN_STATUS_ERROR,
  TIMED_OUT: JobPluginStatus.JOB_PLUGIN_STATUS_TIMED_OUT,
  NOT_SERVING: JobPluginStatus.JOB_PLUGIN_STATUS_NOT_SERVING,
};

export function toProtoJob(view: JobView): PrescriptionJob {
  return {
    jobId: view.jobId,
    projectId: view.projectId,
    status: jobStatuses[view.status] ?? JobStatus.JOB_STATUS_UNSPECIFIED,
    error: view.error,
    cases: view.cases,
    plugins: view.plugins.map((plugin) => ({
      pluginId: plugin.pluginId,
      key: plugin.key,
      status: pluginStatuses[plugin.status] ?? JobPluginStatus.JOB_PLUGIN_STATUS_UNSPECIFIED,
      casesDone: plugin.casesDone,
      detail: plugin.detail,
    })),
    createdAt: new Date(view.createdMs),
    finishedAt: view.finishedMs === null ? undefined : new Date(view.finishedMs),
    requestId: view.requestId,
  };
}

export function toProtoCaseResult(view: CaseResultView): CaseResult {
  return { caseId: view.caseId, prescriptions: toProtoPrescriptions(view.prescriptions) };
}

export function toProtoPrescribedEvent(view: PrescribedEventView): PrescribedEvent {
  return {
    eventId: view.eventId,
    caseId: view.caseId,
    attributes: { ...view.attributes },
    caseCompleted: view.caseCompleted,
    prescriptions: toProtoPrescriptions(view.prescriptions),
    missing: [...view.missing],
    postedAt: new Date(view.postedMs),
  };
}

function toProtoPrescriptions(
  views: CaseResultView["prescriptions"],
): Record<string, Prescription> {
  const prescriptions: Record<string, Prescription> = {};
  for (const [key, prescription] of Object.entries(views)) {
    prescriptions[key] = {
      type: prescription.type,
      // A google.protobuf.Value: null encodes as null_value.
      output: prescription.output,
      detail: prescription.detail,
      model: prescription.model,
    };
  }
  return prescriptions;
}
