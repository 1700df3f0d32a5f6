/**
 * Following a prescription job to its end (progress per plugin on stderr) and printing its
 * results: a table of cases × plugin keys, or one JSON line per case.
 */
import {
  JobStatus,
  type PrescriptionJob,
  type WatchPrescriptionJobResponse,
} from "../gen/trainingcore/v1/prescription_service.js";
import { print } from "./context.js";
import { CliError, ExitCode } from "./errors.js";
import { caseResultJson, jobLine, resultsTable, servingKeys } from "./job-format.js";
import type { JobsClient } from "./jobs-client.js";
import { printJsonLine } from "./json.js";

/** Watches the job until it is DONE or ERROR, a progress line on stderr per change (unless quiet). */
export async function followJob(
  jobs: JobsClient,
  jobId: string,
  quiet: boolean,
): Promise<PrescriptionJob> {
  const stream = jobs.watch(jobId);
  let last: PrescriptionJob | undefined;
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    stream.cancel();
  };
  process.once("SIGINT", onInterrupt);
  try {
    for await (const { job } of stream as AsyncIterable<WatchPrescriptionJobResponse>) {
      if (!job) continue;
      last = job;
      if (!quiet) process.stderr.write(`${jobLine(job)}\n`);
    }
  } catch (error) {
    const hint = `follow it again with: training-core job get ${jobId} --wait`;
    if (interrupted) {
      process.stderr.write(`stopped following job ${jobId}; it goes on in the core\n${hint}\n`);
      throw new CliError("interrupted", ExitCode.interrupted);
    }
    const failure = jobs.failure(error);
    throw new CliError(failure.message, failure.exitCode, hint);
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
  if (
    !last ||
    (last.status !== JobStatus.JOB_STATUS_DONE && last.status !== JobStatus.JOB_STATUS_ERROR)
  ) {
    throw new CliError(`the watch of job ${jobId} ended before the job finished`);
  }
  return last;
}

const pageSize = 1000;

/** Prints every result of the job, page by page: a table, or JSON lines. */
export async function printResults(
  jobs: JobsClient,
  job: PrescriptionJob,
  json: boolean,
): Promise<void> {
  const keys = servingKeys(job);
  let token = "";
  let printed = 0;
  do {
    const page = await jobs.listPrescriptions(job.jobId, pageSize, token);
    if (json) for (const result of page.cases) printJsonLine(caseResultJson(result));
    else if (page.cases.length > 0) {
      // One table per page: a page's column widths fit its own cells.
      print(resultsTable(keys, page.cases));
    }
    printed += page.cases.length;
    token = page.nextPageToken;
  } while (token !== "");
  if (!json && printed === 0) print("no cases");
}

/** The exit code of a finished job: 0 DONE, 1 ERROR. */
export function jobExitCode(job: PrescriptionJob): number {
  return job.status === JobStatus.JOB_STATUS_DONE ? ExitCode.ok : ExitCode.failed;
}
