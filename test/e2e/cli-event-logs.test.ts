// The event-log commands of the `training-core` command line against a real core, on both
// databases: `dataset inspect` (table and JSON; CSV, gzip, an upload, XES) and the definition
// options of `project create` (--column, --case-attribute, --definition), shown by `project get`.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type CliResult, linesOf, runCli } from "../helpers/cli.js";
import {
  definitionFile,
  effectiveColumns,
  eventLog,
  eventLogGzip,
  eventLogInspection,
  largeEventLog,
} from "../helpers/cli-event-logs.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { xesTwinOf } from "../helpers/xes.js";

let workDir: string;
const paths = {
  csv: "",
  gzip: "",
  large: "",
  xes: "",
  definition: "",
};

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "training-core-cli-event-logs-"));
  paths.csv = join(workDir, "orders.csv");
  paths.gzip = join(workDir, "orders.csv.gz");
  paths.large = join(workDir, "large.csv");
  paths.xes = join(workDir, "orders.xes");
  paths.definition = join(workDir, "definition.json");
  await writeFile(paths.csv, eventLog);
  await writeFile(paths.gzip, eventLogGzip);
  await writeFile(paths.large, largeEventLog());
  const commaLog = eventLog.replace(/^\ufeff/, "").replaceAll(";", ",");
  await writeFile(paths.xes, xesTwinOf(commaLog, "case_id", { types: { timestamp: "date" } }));
  await writeFile(paths.definition, JSON.stringify(definitionFile, null, 2));
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function succeeded(result: CliResult): CliResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result;
}

describeEachDialect("training-core event logs", (dialect) => {
  let database: TestDatabase;
  let core: TestCore;
  let knn: TestPlugin;
  const cli = (...args: string[]) => runCli(args, { address: core.address });

  beforeAll(async () => {
    database = await createTestDatabaseUrl(dialect);
    core = await startTestCore(database.url);
    knn = await TestPlugin.connect(core.address, "knn");
  });

  afterAll(async () => {
    knn?.close();
    await core?.stop();
    await database?.drop();
  });

  it("inspects a CSV as a table: each column with its inferred definition and sample values", async () => {
    const { stdout } = succeeded(await cli("dataset", "inspect", paths.csv));
    const lines = linesOf(stdout);
    expect(lines.slice(0, 3)).toEqual([
      "format: csv",
      "6 columns, first 5 rows",
      expect.stringMatching(/^COLUMN\s+INFERRED\s+ROW 1\s+ROW 2\s+ROW 3\s+ROW 4\s+ROW 5$/),
    ]);
    expect(lines.slice(3, 9)).toEqual([
      expect.stringMatching(/^case_id\s+CASE_ID\s+c1\s+c2\s+c1\s+c2\s+c3$/),
      expect.stringMatching(
        /^activity\s+ACTIVITY\s+register\s+register\s+pay\s+reject\s+register$/,
      ),
      expect.stringMatching(
        /^timestamp\s+TIMESTAMP\s+2024-01-01T10:00:00Z\s+2024-01-02T10:00:00Z\s/,
      ),
      expect.stringMatching(/^user\s+RESOURCE\s+ann\s+ann\s+bob\s+cid\s+ann$/),
      expect.stringMatching(/^paid\s+\(TEXT\)\s+yes\s+no\s+yes\s+no\s+yes$/),
      expect.stringMatching(/^channel\s+\(TEXT\)\s+web\s+desk\s+web\s+desk\s+post$/),
    ]);
    expect(lines.slice(9)).toEqual([
      "(TEXT): nothing inferred from the name; the column is a text attribute unless defined",
      "define or redefine columns with: training-core project create … --column NAME=DEFINITION",
    ]);
  });

  it("inspects plain and gzip files as JSON, inline or uploaded first", async () => {
    const plain = succeeded(await cli("dataset", "inspect", paths.csv, "--json"));
    expect(JSON.parse(plain.stdout)).toEqual(eventLogInspection);
    const gzip = succeeded(await cli("dataset", "inspect", paths.gzip, "--json"));
    expect(JSON.parse(gzip.stdout)).toEqual({ ...eventLogInspection, format: "csv+gzip" });

    const large = await cli("dataset", "inspect", paths.large, "--json");
    expect(large.code).toBe(0);
    expect(large.stderr).toMatch(/^uploading .*\nuploading 1\.\d MB \/ 1\.\d MB\n$/s);
    const inspection = JSON.parse(large.stdout) as typeof eventLogInspection;
    expect(inspection.columns).toEqual(eventLogInspection.columns);
    expect(inspection.sampleRows[0]?.values).toEqual([
      "c0",
      "step 0",
      "2024-01-01T10:00:00Z",
      "ann",
      "yes",
      "web",
    ]);
  });

  it("inspects an XES log", async () => {
    const result = succeeded(await cli("dataset", "inspect", paths.xes, "--json"));
    // One trace per case: the events come case by case.
    const byCase = [0, 2, 1, 3, 4].map((i) => eventLogInspection.sampleRows[i]);
    expect(JSON.parse(result.stdout)).toEqual({
      columns: ["case:concept:name", ...eventLogInspection.columns.slice(1)],
      inferred: {
        "case:concept:name": "COLUMN_DEFINITION_CASE_ID",
        activity: "COLUMN_DEFINITION_ACTIVITY",
        timestamp: "COLUMN_DEFINITION_TIMESTAMP",
        user: "COLUMN_DEFINITION_RESOURCE",
      },
      sampleRows: byCase,
      format: "xes",
    });
  });

  it("creates a project with --column and --case-attribute and shows its definition", async () => {
    const created = succeeded(
      await cli(
        "project",
        "create",
        "--dataset",
        paths.csv,
        "--plugin",
        "knn",
        "--column",
        "paid=Boolean",
        "--column",
        "channel=CATEGORICAL",
        "--case-attribute",
        "paid",
        "--json",
      ),
    );
    const project = JSON.parse(created.stdout) as { id: number; definition: unknown };
    expect(project.definition).toEqual({
      columns: effectiveColumns,
      caseAttributes: ["paid"],
      positiveOutcome: null,
      negativeOutcome: null,
      treatment: null,
    });

    const { stdout } = succeeded(await cli("project", "get", String(project.id)));
    expect(stdout).toMatch(/^case attributes: +paid$/m);
    expect(stdout).not.toMatch(/outcome|treatment|positive cases/);
    const table = stdout.slice(stdout.indexOf("COLUMN"));
    expect(linesOf(table).slice(0, 7)).toEqual([
      expect.stringMatching(/^COLUMN\s+DEFINITION$/),
      expect.stringMatching(/^case_id\s+CASE_ID$/),
      expect.stringMatching(/^activity\s+ACTIVITY$/),
      expect.stringMatching(/^timestamp\s+TIMESTAMP$/),
      expect.stringMatching(/^user\s+RESOURCE$/),
      expect.stringMatching(/^paid\s+BOOLEAN$/),
      expect.stringMatching(/^channel\s+CATEGORICAL$/),
    ]);
  });

  it("merges --definition with the flags, prints each rule on one line, and reads its own JSON back", async () => {
    const created = succeeded(
      await cli(
        "project",
        "create",
        "--dataset",
        paths.gzip,
        "--plugin",
        "knn",
        "--definition",
        paths.definition,
        "--column",
        "channel=text",
        "--case-attribute",
        "channel",
        "--case-attribute",
        "paid",
        "--json",
      ),
    );
    const project = JSON.parse(created.stdout) as { id: number; definition: unknown };
    expect(project.definition).toEqual({
      columns: { ...effectiveColumns, channel: "COLUMN_DEFINITION_TEXT" },
      caseAttributes: ["paid", "channel"],
      positiveOutcome: {
        anyOf: [{ conditions: [{ column: "paid", operator: "OPERATOR_IS_TRUE", value: "" }] }],
      },
      negativeOutcome: null,
      treatment: definitionFile.treatment,
    });

    const { stdout } = succeeded(await cli("project", "get", String(project.id)));
    expect(stdout).toMatch(/^positive outcome: paid is true \(any event\)$/m);
    expect(stdout).toMatch(/^treatment: +ACTIVITY == "pay" and user != "ann" \(same event\)$/m);
    expect(stdout).toMatch(/^case attributes: +paid, channel$/m);

    // `project get --json | jq .definition` is a definition file.
    const effectivePath = join(workDir, `effective-${dialect}.json`);
    await writeFile(effectivePath, JSON.stringify(project.definition));
    const again = succeeded(
      await cli(
        "project",
        "create",
        "--dataset",
        paths.csv,
        "--plugin",
        "knn",
        "--definition",
        effectivePath,
        "--json",
      ),
    );
    expect((JSON.parse(again.stdout) as { definition: unknown }).definition).toEqual(
      project.definition,
    );
  });

  it("prints the core's INVALID_ARGUMENT for a definition that does not fit, and exits 2", async () => {
    const result = await cli(
      "project",
      "create",
      "--dataset",
      paths.csv,
      "--plugin",
      "knn",
      "--column",
      "timestamp=number",
      "--case-attribute",
      "nope",
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^error: INVALID_ARGUMENT: the definition does not fit the dataset \(2 problems\): no TIMESTAMP column: .*case_attributes names "nope", not in the header/,
    );
  });

  it("shows how many training cases each label marks", async () => {
    const labels = await TestPlugin.connect(core.address, "labels");
    try {
      const created = succeeded(
        await cli(
          "project",
          "create",
          "--dataset",
          paths.csv,
          "--plugin",
          "labels",
          "--holdout",
          "0",
          "--definition",
          paths.definition,
          "--json",
        ),
      );
      const { id } = JSON.parse(created.stdout) as { id: number };
      // TrainingData is sent once the training set is written.
      expect((await labels.trainingData.next(20_000)).projectId).toBe(id);
      const { stdout } = succeeded(await cli("project", "get", String(id)));
      // c1 and c3 paid; only c1 went through `pay` (by bob).
      expect(stdout).toMatch(/^positive cases: +2 \(training set\)$/m);
      expect(stdout).toMatch(/^treated cases: +1 \(training set\)$/m);
      const json = JSON.parse((await cli("project", "get", String(id), "--json")).stdout);
      expect(json.dataset).toMatchObject({ positiveCases: 2, treatedCases: 1 });
    } finally {
      labels.close();
    }
  });

  it("creates a project from an XES file, as from its CSV twin", async () => {
    const xes = await TestPlugin.connect(core.address, "xes");
    try {
      const created = succeeded(
        await cli(
          "project",
          "create",
          "--dataset",
          paths.xes,
          "--plugin",
          "xes",
          "--column",
          "paid=boolean",
          "--json",
        ),
      );
      const { id, name } = JSON.parse(created.stdout) as { id: number; name: string };
      expect(name).toBe("orders.xes");
      // TrainingData is sent once the training set is written.
      expect((await xes.trainingData.next(20_000)).projectId).toBe(id);
      const got = JSON.parse(succeeded(await cli("project", "get", String(id), "--json")).stdout);
      expect(got.dataset).toMatchObject({ rows: 6, cases: 3 });
      expect(got.definition.columns).toEqual({
        "case:concept:name": "COLUMN_DEFINITION_CASE_ID",
        activity: "COLUMN_DEFINITION_ACTIVITY",
        timestamp: "COLUMN_DEFINITION_TIMESTAMP",
        user: "COLUMN_DEFINITION_RESOURCE",
        paid: "COLUMN_DEFINITION_BOOLEAN",
        channel: "COLUMN_DEFINITION_TEXT",
      });
    } finally {
      xes.close();
    }
  });
});
