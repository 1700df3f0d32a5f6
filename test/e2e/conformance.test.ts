/**
 * The conformance kit (`training-core conformance`): a plugin that keeps the protocol passes every
 * scenario, the example plugins pass, and each scenario fails a plugin that breaks its rule, with
 * a message that says what was seen.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConformance, type ScenarioResult } from "../../src/cli/conformance/runner.js";
import { exampleDir, noPython } from "../helpers/python-plugins.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const rawPlugin = [
  "node",
  "--import",
  "tsx",
  join(root, "test/fixtures/conformance/raw-plugin.ts"),
];

/** The raw plugin with `breaks` switched off (see raw-plugin.ts). */
function raw(breaks: string, prescribes = true): string[] {
  return ["env", `BREAK=${breaks}`, `PRESCRIBES=${prescribes ? 1 : 0}`, ...rawPlugin];
}

function summary(results: readonly ScenarioResult[]): string {
  return results.map((r) => `${r.result} ${r.scenario}: ${r.seen}\n${r.output ?? ""}`).join("\n");
}

let models = "";
beforeAll(async () => {
  models = await mkdtemp(join(tmpdir(), "training-core-conformance-"));
});
afterAll(async () => {
  await rm(models, { recursive: true, force: true });
});

describe("conformance kit", () => {
  it("passes a plugin that keeps the protocol, every scenario", async () => {
    const results = await runConformance({ key: "plugin-raw", command: raw(""), stepMs: 10_000 });
    expect(
      results.map((r) => [r.scenario, r.result]),
      summary(results),
    ).toEqual(results.map((r) => [r.scenario, "PASS"]));
    expect(results).toHaveLength(13);
  }, 120_000);

  const broken: [string, string, RegExp][] = [
    ["first-message", "registers-first", /^the first message of stream 1 was errorReport$/],
    ["bad-sequence", "numbers-requests", /^sequences 1, 1.*: 1 after 1$/],
    ["ignore-inquiries", "answers-inquiries", /^no OnlineReport answering inquiry 1 within 2 s$/],
    ["no-model-name", "trains", /^no ModelName, ErrorReport or DataReport within 5 s$/],
    ["no-resume", "resumes-download", /^downloads at offsets 0, 0: restarted, not resumed at 100$/],
    ["train-twice", "ignores-repeated-training-data", /the job ran more than once$/],
    [
      "no-resend",
      "resends-after-cut",
      /^no re-send of trainingStart on the new stream within 5 s$/,
    ],
    ["drop-unavailable", "retries-unavailable", /^DataReport sent 1× for 2 UNAVAILABLE acks/],
    [
      "retry-refused",
      "stops-on-refusal",
      /^TrainingStart sent \d+× in 3 s after FAILED_PRECONDITION$/,
    ],
    [
      "retry-not-found",
      "stops-on-refusal",
      /^DataReport for plugin_id 2 sent \d+× in 3 s after NOT_FOUND$/,
    ],
    ["ack-timeout", "slow-acks", /^reconnected \d+× while acks were slow$/],
    ["no-last", "answers-prescriptions", /^no PrescriptionResult with last within 5 s$/],
    ["prefix-twice", "answers-case-prefixes", /^conformance-live-1 \(case live-a\) answered 2×$/],
    ["ignore-sigterm", "stops-on-sigterm", /^still running 5 s after SIGTERM$/],
  ];
  it.each(broken)(
    "a plugin that breaks %s fails %s",
    async (breaks, scenario, seen) => {
      const [result] = await runConformance({
        key: "plugin-raw",
        command: raw(breaks),
        only: [scenario],
        stepMs: 5_000,
      });
      expect(result, summary(result ? [result] : [])).toMatchObject({ scenario, result: "FAIL" });
      expect(result?.seen).toMatch(seen);
      expect(result?.rule).not.toBe("");
    },
    60_000,
  );

  it("skips the prescription scenarios for a plugin that does not prescribe", async () => {
    const results = await runConformance({
      key: "plugin-raw",
      command: raw("", false),
      only: ["answers-prescriptions", "answers-case-prefixes"],
      stepMs: 5_000,
    });
    const skip = { result: "SKIP", seen: "the plugin does not set prescribes" };
    expect(results).toMatchObject([
      { scenario: "answers-prescriptions", ...skip },
      { scenario: "answers-case-prefixes", ...skip },
    ]);
  }, 60_000);

  it("fails a plugin that registers with another key", async () => {
    const [result] = await runConformance({
      key: "plugin-other",
      command: raw(""),
      only: ["registers-first"],
    });
    expect(result?.seen).toBe('it registered as "plugin-raw", not as the key "plugin-other"');
  }, 60_000);

  it("with a token, fails a plugin whose calls do not carry it", async () => {
    const [result] = await runConformance({
      key: "plugin-raw",
      command: raw(""),
      token: "a-plugin-token",
      only: ["registers-first"],
      stepMs: 5_000,
    });
    expect(result).toMatchObject({
      result: "FAIL",
      seen: "Connect came without the token (authorization: Bearer <token>)",
    });
  }, 60_000);

  it("is a command: --json, exit code 1 when a scenario fails, 0 when all pass", () => {
    const cli = ["--import", "tsx", join(root, "src/cli/main.ts"), "conformance", "--json"];
    const run = (breaks: string) =>
      spawnSync(
        "node",
        [...cli, "--key", "plugin-raw", "--scenario", "answers-inquiries", "--", ...raw(breaks)],
        {
          encoding: "utf8",
          timeout: 60_000,
        },
      );
    const failing = run("ignore-inquiries");
    expect(failing.status, failing.stderr).toBe(1);
    const report = JSON.parse(failing.stdout) as { passed: boolean; scenarios: ScenarioResult[] };
    expect(report.passed).toBe(false);
    expect(report.scenarios).toMatchObject([{ scenario: "answers-inquiries", result: "FAIL" }]);
    const passing = run("");
    expect(passing.status, passing.stderr).toBe(0);
    expect(JSON.parse(passing.stdout)).toMatchObject({ passed: true });
  }, 120_000);

  it("passes the TypeScript next-activity example", async () => {
    const results = await runConformance({
      key: "plugin-next-activity",
      command: [
        "env",
        `MODEL_DIR=${models}`,
        "node",
        "--import",
        "tsx",
        join(root, "examples/plugins/next-activity/main.ts"),
      ],
      stepMs: 20_000,
    });
    expect(
      results.filter((r) => r.result === "FAIL"),
      summary(results),
    ).toEqual([]);
  }, 300_000);

  it.skipIf(noPython !== undefined && !process.env.CI)(
    `passes the Python SDK examples${noPython && !process.env.CI ? ` (skipped: ${noPython})` : ""}`,
    async () => {
      for (const [key, plugin] of [
        ["plugin-python-next-activity", "next-activity"],
        ["plugin-python-alarm", "alarm"],
      ] as const) {
        const results = await runConformance({
          key,
          command: ["env", `MODEL_DIR=${models}`, "bash", join(exampleDir, "run.sh"), plugin],
          stepMs: 20_000,
        });
        expect(
          results.filter((r) => r.result === "FAIL"),
          summary(results),
        ).toEqual([]);
      }
    },
    300_000,
  );
});
