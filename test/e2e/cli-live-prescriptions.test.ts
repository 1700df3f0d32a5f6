// `training-core stream` and `watch-prescriptions` against a real core, on both databases: a
// CSV's events posted in time order and shown as they complete; a watch resumed with --after.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it, onTestFinished } from "vitest";
import { linesOf, runCli, startCli } from "../helpers/cli.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { answerFor, liveProject } from "../helpers/live-prescriptions.js";
import type { TestPlugin } from "../helpers/plugin-client.js";

let workDir: string;
let eventsPath: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "training-core-cli-live-"));
  eventsPath = join(workDir, "events.csv");
  // Out of time order in the file: the CLI posts them sorted.
  await writeFile(
    eventsPath,
    [
      "case,activity,timestamp,who",
      "c1,check,2024-01-01T11:00:00Z,bob",
      "c1,register,2024-01-01T10:00:00Z,ann",
      "c2,register,2024-01-01T10:30:00Z,ann",
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Answers every live request of `plugin` with the case's activities so far, until stopped. */
function answering(plugin: TestPlugin) {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const request = await plugin.prescriptionRequests.next(100).catch(() => undefined);
      if (request?.input?.$case !== "casePrefix") continue;
      const { caseId, events } = request.input.value;
      const output = events.map((e) => e.ACTIVITY).join(">");
      await plugin.answer(request.requestId, answerFor(caseId, output), true);
    }
  })();
  return {
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

describeEachDialect("training-core stream and watch-prescriptions", (dialect) => {
  const env = freshCorePerTest(dialect);

  it("streams a CSV in time order, prints each event's prescriptions, and a watch resumes after an id", async () => {
    const { projectId, plugins } = await liveProject(env, ["k"]);
    const answerer = answering(plugins.get("k") as TestPlugin);
    onTestFinished(() => answerer.stop());
    const address = env.core.address;
    const streamed = await runCli(["stream", String(projectId), "--events", eventsPath, "--json"], {
      address,
    });
    expect(streamed.stderr).toBe("");
    expect(streamed.code).toBe(0);
    const events = linesOf(streamed.stdout).map((line) => JSON.parse(line));
    expect(events.map((e) => [e.case_id, e.prescriptions.k.output])).toEqual([
      ["c1", "register"],
      ["c2", "register"],
      ["c1", "register>check"],
    ]);
    const human = await runCli(["stream", String(projectId), "--events", eventsPath], { address });
    expect(human.code).toBe(0);
    // The same cases again: their earlier events are part of each prefix.
    expect(linesOf(human.stdout)[0]).toMatch(/^#\d+ case c1: k=register>register>check$/);

    const watch = startCli(
      ["watch-prescriptions", String(projectId), "--after", String(events[0].event_id), "--json"],
      { address },
    );
    let text = "";
    await new Promise<void>((resolve) => {
      watch.child.stdout?.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (linesOf(text).length >= 5) resolve();
      });
    });
    watch.child.kill("SIGINT");
    const ended = await watch.done;
    expect(ended.code).toBe(130);
    const ids = linesOf(ended.stdout).map((line) => JSON.parse(line).event_id);
    expect(ids).toHaveLength(5);
    expect(ids[0]).toBe(events[1].event_id);
    expect(ended.stderr).toContain(`watch-prescriptions ${projectId} --after ${ids[4]}`);
  });

  it("simulate replays the holdout set and ends once every event came back", async () => {
    const log = ["case,activity,timestamp,who"];
    for (let c = 0; c < 4; c++) {
      log.push(`h${c},register,2024-01-0${c + 1}T10:00:00Z,ann`);
      log.push(`h${c},check,2024-01-0${c + 1}T11:00:00Z,bob`);
    }
    const { projectId, plugins } = await liveProject(env, ["k"], {
      dataset: `${log.join("\n")}\n`,
      holdoutFraction: 0.5,
    });
    const answerer = answering(plugins.get("k") as TestPlugin);
    onTestFinished(() => answerer.stop());
    const result = await runCli(["simulate", String(projectId), "--rate", "100", "--json"], {
      address: env.core.address,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const events = linesOf(result.stdout).map((line) => JSON.parse(line));
    expect(events.length).toBeGreaterThan(0);
    expect(events.length % 2).toBe(0);
    expect(events.filter((e) => e.case_completed)).toHaveLength(events.length / 2);
    for (const e of events.filter((e) => !e.case_completed)) {
      expect(e.prescriptions.k.output).toBe("register");
    }
  });
});
