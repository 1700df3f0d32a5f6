// The prescription commands of `training-core` against a real core, on both databases:
// `prescribe --wait` follows the job (progress per plugin on stderr) and prints the results as
// a table or JSON lines once it is DONE (the plugins' answers written as the plugin side will);
// `job get|list|results|delete`, and refusals with the core's reason.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { linesOf, runCli, startCli } from "../helpers/cli.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { answerRequest, runningLog, trainedProject } from "../helpers/prescription-jobs.js";

let workDir: string;
let runningPath: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "training-core-cli-prescriptions-"));
  runningPath = join(workDir, "running.csv");
  await writeFile(runningPath, runningLog);
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Resolves with the first match of `pattern` in what the child writes to stderr. */
function stderrMatch(child: ReturnType<typeof startCli>["child"], pattern: RegExp) {
  return new Promise<RegExpMatchArray>((resolve) => {
    let text = "";
    child.stderr?.on("data", (chunk: Buffer | string) => {
      text += chunk.toString();
      const match = text.match(pattern);
      if (match) resolve(match);
    });
  });
}

describeEachDialect("training-core prescribe and job", (dialect) => {
  const env = freshCorePerTest(dialect);

  /** Starts `prescribe --wait`, answers for both plugins once the job runs; the CLI's result. */
  async function prescribeAndAnswer(extra: string[]) {
    const { projectId } = await trainedProject(env, { prescribing: ["alarm", "next"] });
    const address = env.core.address;
    const db = env.core.core.store.db;
    const feed = env.core.core.feed;
    // The first job to run: from the progress on stderr, or (quiet with --json) from the feed.
    const running = new Promise<string>((resolve) => {
      const stop = feed.onLocalChange((change) => {
        if (change.kind !== "job") return;
        void db("prescription_jobs")
          .where({ id: change.jobId, status: "RUNNING" })
          .first()
          .then((row) => {
            if (!row) return;
            stop();
            resolve(change.jobId);
          });
      });
    });
    const cli = startCli(
      ["prescribe", String(projectId), "--dataset", runningPath, "--wait", ...extra],
      { address },
    );
    const jobId = extra.includes("--json")
      ? await running
      : (await stderrMatch(cli.child, /(job_[0-9a-f]{32}) RUNNING/))[1];
    await answerRequest(db, jobId as string, "alarm", "DONE", [
      { caseId: "c1", output: 0.25 },
      { caseId: "c2", output: 0.75 },
    ]);
    env.core.core.feed.jobChanged(jobId as string);
    await answerRequest(db, jobId as string, "next", "TIMED_OUT", [
      { caseId: "c2", output: "pay" },
    ]);
    env.core.core.feed.jobChanged(jobId as string);
    return { result: await cli.done, jobId: jobId as string, projectId, address };
  }

  it("prescribe --wait shows progress per plugin, then a table of cases × plugins", async () => {
    const { result, jobId, projectId, address } = await prescribeAndAnswer([]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`created job ${jobId}`);
    // The first progress line: WAITING, or RUNNING if the requests were delivered first.
    expect(result.stderr).toMatch(
      new RegExp(
        `${jobId} RUNNING, 2 cases: alarm (WAITING|RUNNING) 0/2, next (WAITING|RUNNING) 0/2`,
      ),
    );
    expect(result.stderr).toContain(`${jobId} DONE, 2 cases: alarm DONE 2/2, next TIMED_OUT 1/2`);
    expect(linesOf(result.stdout)).toEqual([
      "CASE  alarm  next",
      "c2    0.75   pay",
      "c1    0.25   — timed out after 600000 ms",
    ]);

    const get = await runCli(["job", "get", jobId], { address });
    expect(get.code).toBe(0);
    expect(get.stdout).toContain(`job ${jobId} of project ${projectId}: DONE`);
    expect(get.stdout).toMatch(/next\s+TIMED_OUT\s+1/);

    const list = await runCli(["job", "list", String(projectId), "--json"], { address });
    expect(JSON.parse(list.stdout).jobs.map((j: { jobId: string }) => j.jobId)).toEqual([jobId]);

    const results = await runCli(["job", "results", jobId, "--json"], { address });
    expect(linesOf(results.stdout).map((line) => JSON.parse(line))).toEqual([
      {
        caseId: "c2",
        prescriptions: {
          alarm: { type: "NEXT_ACTIVITY", output: 0.75, detail: "", model: {} },
          next: { type: "NEXT_ACTIVITY", output: "pay", detail: "", model: {} },
        },
      },
      {
        caseId: "c1",
        prescriptions: {
          alarm: { type: "NEXT_ACTIVITY", output: 0.25, detail: "", model: {} },
          next: { type: "", output: null, detail: "timed out after 600000 ms", model: {} },
        },
      },
    ]);

    expect(linesOf((await runCli(["job", "delete", jobId], { address })).stdout)).toEqual([
      `deleted job ${jobId}`,
    ]);
    expect((await runCli(["job", "delete", jobId], { address })).code).toBe(0);
    const gone = await runCli(["job", "get", jobId], { address });
    expect({ code: gone.code, stderr: gone.stderr.trim() }).toEqual({
      code: 1,
      stderr: `error: NOT_FOUND: no prescription job "${jobId}"`,
    });
  }, 60_000);

  it("prescribe --wait --json prints one JSON line per case", async () => {
    const { result } = await prescribeAndAnswer(["--json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(linesOf(result.stdout).map((line) => JSON.parse(line).caseId)).toEqual(["c2", "c1"]);
  }, 60_000);

  it("prescribe says why the core refuses, with exit code 2 for a dataset that does not fit", async () => {
    const { projectId } = await trainedProject(env, { prescribing: ["alarm"] });
    const address = env.core.address;
    const bad = join(workDir, "bad.csv");
    await writeFile(bad, "case,activity\nc1,a\n");
    const refused = await runCli(["prescribe", String(projectId), "--dataset", bad], { address });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'error: INVALID_ARGUMENT: the dataset lacks columns of the project\'s event log: "timestamp" (TIMESTAMP)',
    );
    const created = await runCli(["prescribe", String(projectId), "--dataset", runningPath], {
      address,
    });
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created job_[0-9a-f]{32} PREPARING, 0 cases\n/);
    const unknown = await runCli(["prescribe", "999", "--dataset", runningPath], { address });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("error: NOT_FOUND: project 999 does not exist");
  }, 60_000);
});
