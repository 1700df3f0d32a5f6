// The leak check itself (the setup file every test file runs with): fixtures that leave each
// kind of thing open fail, naming it; one that closes without waiting for the close passes.

import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { collect, repoRoot } from "../helpers/cli.js";

interface FileResult {
  readonly status: "passed" | "failed";
  readonly message: string;
}

let results: Map<string, FileResult>;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "leak-check-"));
  const report = join(workDir, "report.json");
  // A vitest of its own, not told it runs inside this one.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST")),
  );
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, "node_modules/vitest/vitest.mjs"),
      "run",
      "--config",
      "test/fixtures/leak-check/vitest.config.ts",
      "--reporter=json",
      `--outputFile=${report}`,
    ],
    { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const run = await collect(child, "vitest on the leak-check fixtures", 60_000);
  expect(run.code, run.stderr).toBe(1);
  const json = JSON.parse(await readFile(report, "utf8")) as {
    testResults: { name: string; status: FileResult["status"]; message: string }[];
  };
  results = new Map(
    json.testResults.map((r) => [
      r.name.slice(r.name.lastIndexOf("/") + 1).replace(".fixture.ts", ""),
      { status: r.status, message: r.message },
    ]),
  );
}, 90_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const fileOf = (name: string): FileResult => {
  const result = results.get(name);
  if (!result) throw new Error(`no result for fixture ${name}`);
  return result;
};

it.each([
  ["server-left-listening", [/^ {2}- Server listening on 127\.0\.0\.1:\d+$/m]],
  [
    "connection-left-open",
    [/^ {2}- Socket from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+$/m, /left 2 thing\(s\) open/],
  ],
  [
    "grpc-left-open",
    [/^ {2}- Http2Server listening on 127\.0\.0\.1:\d+$/m, /^ {2}- Socket from 127\.0\.0\.1:\d+/m],
  ],
  [
    "child-left-running",
    [/^ {2}- child process \d+ still running \(.*node -e setTimeout\(\(\) => \{\}, 10_000\)\)$/m],
  ],
  [
    "timer-left-running",
    [
      /^ {2}- setInterval\(60000 ms\) still pending, set\n\s+at .*timer-left-running\.fixture\.ts:4:/m,
    ],
  ],
])("fails %s, naming what it left open", (name, patterns) => {
  const result = fileOf(name);
  expect(result.status).toBe("failed");
  expect(result.message).toMatch(/^this test file left \d+ thing\(s\) open:/);
  for (const pattern of patterns) expect(result.message).toMatch(pattern);
});

it("passes a file whose handles are still closing when its last hook returns", () => {
  expect(fileOf("closed-while-checking")).toEqual({ status: "passed", message: "" });
});

it("ran every fixture", () => {
  expect([...results.keys()].sort()).toEqual([
    "child-left-running",
    "closed-while-checking",
    "connection-left-open",
    "grpc-left-open",
    "server-left-listening",
    "timer-left-running",
  ]);
});
