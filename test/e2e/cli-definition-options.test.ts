// The definition options of `training-core project create` and `dataset inspect`, refused
// before the core is called: malformed --column values, unreadable or malformed --definition
// files, a missing dataset file. Exit code 2, the message naming the problem.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "../helpers/cli.js";
import { eventLog } from "../helpers/cli-event-logs.js";
import { freePort } from "../helpers/databases.js";

let workDir: string;
const paths = { csv: "" };

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "training-core-cli-options-"));
  paths.csv = join(workDir, "orders.csv");
  await writeFile(paths.csv, eventLog);
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("training-core event-log options", () => {
  // Eight processes: a generous timeout for a loaded machine.
  it("refuses malformed definition options with exit 2, without calling the core", {
    timeout: 90_000,
  }, async () => {
    const bad = (name: string, text: string) => {
      const path = join(workDir, name);
      return writeFile(path, text).then(() => path);
    };
    const notJson = await bad("not-json.json", "{columns:");
    const shapes = await bad(
      "shapes.json",
      JSON.stringify({
        columns: { paid: "BOOLEAN", x: "COLUMN_DEFINITION_NUMERIC" },
        negativeOutcomes: {},
        treatment: { anyOf: [{ conditions: [{ column: "amount", operator: 7, value: 5 }] }] },
      }),
    );
    const create = ["project", "create", "--dataset", paths.csv];
    const cases: [string[], RegExp][] = [
      [
        [...create, "--column", "paid"],
        /expected NAME=DEFINITION \(e\.g\. "Case ID=case_id"\), got "paid"/,
      ],
      [
        [...create, "--column", "paid=flag"],
        /"flag" is not a column definition; use one of case_id, activity, timestamp, .*, ignored\n/,
      ],
      [
        [...create, "--definition", join(workDir, "missing.json")],
        /cannot read --definition .*missing\.json: ENOENT/,
      ],
      [[...create, "--definition", notJson], /--definition .*not-json\.json is not JSON: /],
      [
        [...create, "--definition", shapes],
        new RegExp(
          [
            String.raw`--definition .*shapes\.json:`,
            String.raw`  columns\["paid"\]: write "COLUMN_DEFINITION_BOOLEAN" \(the protobuf JSON name\)`,
            String.raw`  columns\["x"\]: "COLUMN_DEFINITION_NUMERIC" is not a column definition; use one of COLUMN_DEFINITION_CASE_ID, .*`,
            String.raw`  the top level: unknown field "negativeOutcomes" \(fields: columns, caseAttributes, positiveOutcome, negativeOutcome, treatment\)`,
            String.raw`  treatment\.anyOf\[0\]\.conditions\[0\]\.value: expected a string, e\.g\. "5"`,
          ].join("\n"),
        ),
      ],
      [
        ["dataset", "inspect", join(workDir, "missing.csv")],
        /cannot read dataset file .*missing\.csv: ENOENT/,
      ],
      [["dataset", "inspect"], /missing required argument 'file'/],
    ];
    // A closed port: a command that called the core would fail with exit 1, not 2.
    const closed = { address: `127.0.0.1:${await freePort()}` };
    const results: CliResult[] = [];
    for (let i = 0; i < cases.length; i += 4) {
      const batch = cases.slice(i, i + 4).map(([args]) => runCli(args, closed));
      results.push(...(await Promise.all(batch)));
    }
    results.forEach((result, i) => {
      const [args, message] = cases[i] as [string[], RegExp];
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe("");
    });
  });
});
