// A project created with an event-log definition, end to end: the plugins get the normalized
// training set (fixed column names, cases contiguous and in time order, labels on every row),
// a plugin whose needed columns are missing joins NOT_APPLICABLE with why, and a log that cannot
// be read puts the project in ERROR with what and where.
import { expect, it } from "vitest";
import type { EventLogDefinition } from "../../src/gen/trainingcore/v1/definition.js";
import { ColumnDefinition as Column, Operator } from "../../src/gen/trainingcore/v1/definition.js";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { describeEachDialect } from "../helpers/databases.js";
import { download, upload } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { checkStoredInvariants } from "../helpers/invariants.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";

/** Two cases, interleaved and out of time order; c2 comes first in the file. */
const interleavedLog = [
  "case,activity,timestamp,who,amount",
  "c2,pay,2024-01-02T09:00:00+01:00,bob,30",
  "c1,register,2024-01-01T10:00:00Z,ann,10",
  "c1,check,2024-01-01T09:00:00Z,ann,10",
  "c2,register,2024-01-02T07:00:00Z,ann,30",
  "c1,pay,2024-01-01 12:00:00,bob,10",
  "",
].join("\n");

function definition(overrides: Partial<EventLogDefinition> = {}): EventLogDefinition {
  return {
    columns: { who: Column.COLUMN_DEFINITION_RESOURCE, amount: Column.COLUMN_DEFINITION_NUMBER },
    caseAttributes: ["amount"],
    positiveOutcome: undefined,
    negativeOutcome: undefined,
    treatment: undefined,
    ...overrides,
  };
}

const rule = (column: string, operator: Operator, value: string) => ({
  anyOf: [{ conditions: [{ column, operator, value }] }],
});

describeEachDialect("event-log training sets", (dialect) => {
  const env = freshCorePerTest(dialect);

  it("gives plugins the normalized set: cases together, in time order, labelled", async () => {
    const knn = await env.connect("knn");
    const created = await createProject(env.core.projects, {
      datasetCsv: Buffer.from(interleavedLog),
      holdoutFraction: 0,
      pluginKeys: ["knn"],
      definition: definition({
        positiveOutcome: rule("amount", Operator.OPERATOR_GREATER_THAN, "20"),
        treatment: rule("ACTIVITY", Operator.OPERATOR_EQUAL, "check"),
      }),
    });
    const data = await knn.trainingData.next();
    expect(data.definition?.treatment?.anyOf[0]?.conditions[0]?.value).toBe("check");
    const set = await download(env.core.datasets, data.trainingDfName);
    expect(set.toString()).toBe(
      [
        "CASE_ID,ACTIVITY,TIMESTAMP,RESOURCE,OUTCOME,TREATMENT,TREATMENT_RESOURCE,CASE_ATTRIBUTE_NUMBER_amount",
        "c2,register,2024-01-02T07:00:00.000Z,ann,1,0,,30",
        "c2,pay,2024-01-02T08:00:00.000Z,bob,1,0,,30",
        "c1,check,2024-01-01T09:00:00.000Z,ann,0,1,ann,10",
        "c1,register,2024-01-01T10:00:00.000Z,ann,0,1,ann,10",
        "c1,pay,2024-01-01T12:00:00.000Z,bob,0,1,ann,10",
        "",
      ].join("\n"),
    );
    await knn.train(data);
    await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    expect(project.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(project.dataset).toMatchObject({
      rows: 5,
      trainingRows: 5,
      cases: 2,
      positiveCases: 1,
      treatedCases: 1,
      columns: expect.arrayContaining(["CASE_ID", "OUTCOME", "TREATMENT_RESOURCE"]),
    });
    expect(project.definition?.columns).toMatchObject({
      case: Column.COLUMN_DEFINITION_CASE_ID,
      activity: Column.COLUMN_DEFINITION_ACTIVITY,
      timestamp: Column.COLUMN_DEFINITION_TIMESTAMP,
      who: Column.COLUMN_DEFINITION_RESOURCE,
    });
    expect(await checkStoredInvariants(env.database.url)).toEqual([]);
  });

  it("sets a plugin whose needed columns are missing NOT_APPLICABLE, and trains the others", async () => {
    const alarm = await env.connect("alarm", { neededColumns: [Column.COLUMN_DEFINITION_OUTCOME] });
    const knn = await env.connect("knn", { neededColumns: [Column.COLUMN_DEFINITION_RESOURCE] });
    const created = await createProject(env.core.projects, {
      datasetCsv: Buffer.from(interleavedLog),
      pluginKeys: ["alarm", "knn"],
      definition: definition(),
    });
    const data = await knn.trainingData.next();
    await knn.train(data);
    await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    expect(project.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    const byKey = new Map(project.plugins.map((p) => [p.key, p]));
    expect(byKey.get("alarm")).toMatchObject({
      status: PluginStatus.PLUGIN_STATUS_NOT_APPLICABLE,
      error: "needs OUTCOME: define positive_outcome or negative_outcome, or an OUTCOME column",
    });
    expect(alarm.trainingData.size).toBe(0);
    expect(await checkStoredInvariants(env.database.url)).toEqual([]);
  });

  it("puts the project in ERROR when no plugin can use the set, with each one's reason", async () => {
    await env.connect("alarm", { neededColumns: [Column.COLUMN_DEFINITION_OUTCOME] });
    const created = await createProject(env.core.projects, {
      datasetCsv: Buffer.from(interleavedLog),
      pluginKeys: ["alarm"],
      // Every case has a pay: one class only.
      definition: definition({ positiveOutcome: rule("ACTIVITY", Operator.OPERATOR_EQUAL, "pay") }),
    });
    await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    expect(project.status).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    expect(project.error).toBe("no plugin is applicable");
    expect(project.plugins[0]?.error).toMatch(/^OUTCOME has only one class \(all 1, /);
    expect(await checkStoredInvariants(env.database.url)).toEqual([]);
  });

  it("fails the project naming the line, the column and the value that cannot be read", async () => {
    await env.connect("knn");
    const log = `case,activity,timestamp\nc1,a,2024-01-01T10:00:00Z\nc1,b,soon\n`;
    const created = await createProject(env.core.projects, {
      datasetCsv: Buffer.from(log),
      pluginKeys: ["knn"],
      definition: definition({ columns: {}, caseAttributes: [] }),
    });
    await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    expect(project.status).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    expect(project.error).toBe(
      'dataset: line 3: column timestamp: cannot read "soon" as a timestamp',
    );
  });

  it.each([
    ["a date that does not parse", '<date key="time:timestamp" value="tomorrow"/>', /tomorrow/],
    ["an unclosed tag", '<string key="concept:name" value="x">', /line \d+/],
  ])("fails the project for an XES log with %s past its head", async (_name, bad, message) => {
    // Over a MiB of good traces, so that CreateProject's look at the head sees none of it.
    const event = (t: number) =>
      `<event><string key="concept:name" value="a"/><date key="time:timestamp" value="2024-01-01T00:00:${String(t % 60).padStart(2, "0")}Z"/></event>`;
    const traces = Array.from(
      { length: 8_000 },
      (_, i) => `<trace><string key="concept:name" value="c${i}"/>${event(1)}${event(2)}</trace>`,
    );
    const xes =
      `<?xml version="1.0"?>\n<log>\n${traces.join("\n")}\n` +
      `<trace><string key="concept:name" value="bad"/><event>${bad}</event></trace>\n</log>\n`;
    expect(xes.length).toBeGreaterThan(1024 * 1024);
    await env.connect("knn");
    const created = await createProject(env.core.projects, {
      datasetCsv: Buffer.from(xes),
      pluginKeys: ["knn"],
    });
    await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    expect(project.status).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    expect(project.error).toMatch(/^dataset: line 8003: /);
    expect(project.error).toMatch(message);
  });
  it("normalizes an uploaded XES log without a definition: every column inferred", async () => {
    const knn = await env.connect("knn");
    const xes =
      '<?xml version="1.0"?>\n<log>\n<trace><string key="concept:name" value="c1"/>\n' +
      '<event><string key="concept:name" value="b"/><date key="time:timestamp" value="2024-01-01T11:00:00+01:00"/></event>\n' +
      '<event><string key="concept:name" value="a"/><date key="time:timestamp" value="2024-01-01T09:00:00Z"/></event>\n' +
      "</trace>\n</log>\n";
    const uploaded = await upload(env.core.datasets, Buffer.from(xes), { fileName: "log.xes" });
    const created = await createProject(env.core.projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId: uploaded.datasetId,
      holdoutFraction: 0,
      pluginKeys: ["knn"],
    });
    expect(created.definition?.columns["time:timestamp"]).toBe(Column.COLUMN_DEFINITION_TIMESTAMP);
    const data = await knn.trainingData.next();
    expect((await download(env.core.datasets, data.trainingDfName)).toString()).toBe(
      "CASE_ID,ACTIVITY,TIMESTAMP\nc1,a,2024-01-01T09:00:00.000Z\nc1,b,2024-01-01T10:00:00.000Z\n",
    );
  });
});
