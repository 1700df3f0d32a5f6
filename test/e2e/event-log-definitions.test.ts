// Event-log definitions on a real core: CreateProject checks a definition against the dataset's
// header at once and keeps the effective one (Project.definition, TrainingData.definition); the
// legacy case_id_column still works; plugins' needed_columns are stored with their identity.
import { gzipSync } from "node:zlib";
import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, expect, it } from "vitest";
import { PluginSessions } from "../../src/app/plugins/plugin-sessions.js";
import { listPluginViews } from "../../src/app/projects/project-views.js";
import {
  type CaseRule,
  type Condition,
  ColumnDefinition as Definition,
  type EventLogDefinition,
  Operator,
} from "../../src/gen/trainingcore/v1/definition.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { upload } from "../helpers/datasets.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, failureOf, getProject } from "../helpers/projects.js";

const log = [
  "case_id,activity,timestamp,user,amount,paid,note",
  "c1,register,2024-01-01T10:00:00Z,ann,10,yes,a",
  "c1,pay,2024-01-01T11:00:00Z,bob,60,no,a",
  "c2,register,2024-01-02T10:00:00Z,ann,5,no,b",
  "c2,reject,2024-01-02T12:00:00Z,cid,5,no,b",
  "",
].join("\n");

/** What the core infers of `log`'s header; the other columns are TEXT. */
const inferred = {
  case_id: Definition.COLUMN_DEFINITION_CASE_ID,
  activity: Definition.COLUMN_DEFINITION_ACTIVITY,
  timestamp: Definition.COLUMN_DEFINITION_TIMESTAMP,
  user: Definition.COLUMN_DEFINITION_RESOURCE,
};

const when = (column: string, operator: Operator, value = ""): Condition => ({
  column,
  operator,
  value,
});
const anyOf = (...groups: Condition[][]): CaseRule => ({
  anyOf: groups.map((conditions) => ({ conditions })),
});

function definition(fields: Partial<EventLogDefinition> = {}): EventLogDefinition {
  return {
    columns: {},
    caseAttributes: [],
    positiveOutcome: undefined,
    negativeOutcome: undefined,
    treatment: undefined,
    ...fields,
  };
}

describeEachDialect("event-log definitions", (dialect) => {
  let database: TestDatabase;
  let core: TestCore;
  let plugin: TestPlugin;

  beforeEach(async () => {
    database = await createTestDatabaseUrl(dialect);
    core = await startTestCore(database.url, { maxDatasetBytes: 64 * 1024 });
    plugin = await TestPlugin.connect(core.address, "knn");
  });

  afterEach(async () => {
    plugin.close();
    await core.stop();
    await database.drop();
  });

  const create = (fields: Parameters<typeof createProject>[1]) =>
    createProject(core.projects, { pluginKeys: ["knn"], datasetCsv: Buffer.from(log), ...fields });

  it("keeps the effective definition: Project.definition, and TrainingData.definition", async () => {
    const requested = definition({
      columns: {
        amount: Definition.COLUMN_DEFINITION_NUMBER,
        paid: Definition.COLUMN_DEFINITION_BOOLEAN,
      },
      caseAttributes: ["note"],
      positiveOutcome: anyOf([when("ACTIVITY", Operator.OPERATOR_EQUAL, "pay")]),
      treatment: anyOf(
        [when("amount", Operator.OPERATOR_GREATER_THAN, "50")],
        [when("DURATION", Operator.OPERATOR_LESS_THAN_OR_EQUAL, "1 h")],
      ),
    });
    const effective = {
      ...requested,
      columns: { ...inferred, ...requested.columns, note: Definition.COLUMN_DEFINITION_TEXT },
    };
    const created = await create({ definition: requested });
    expect(created.definition).toEqual(effective);
    expect((await getProject(core.projects, created.id)).definition).toEqual(effective);

    const td = await plugin.trainingData.next();
    expect(td.projectId).toBe(created.id);
    expect(td.definition).toEqual(effective);

    const row = await core.core.store.db("projects").where({ id: created.id }).first();
    expect(JSON.parse(row.requested_definition_json)).toEqual({
      columns: [
        ["amount", "NUMBER"],
        ["paid", "BOOLEAN"],
      ],
      caseAttributes: ["note"],
      positiveOutcome: {
        anyOf: [{ conditions: [{ column: "ACTIVITY", operator: "EQUAL", value: "pay" }] }],
      },
      treatment: {
        anyOf: [
          { conditions: [{ column: "amount", operator: "GREATER_THAN", value: "50" }] },
          { conditions: [{ column: "DURATION", operator: "LESS_THAN_OR_EQUAL", value: "1 h" }] },
        ],
      },
    });
    expect(
      JSON.parse(row.effective_definition_json).columns.map(([name]: string[]) => name),
    ).toEqual(log.split("\n")[0]?.split(","));
  });

  it("creates a project without a definition as before: no definition anywhere", async () => {
    const created = await create({});
    expect(created.definition).toBeUndefined();
    const td = await plugin.trainingData.next();
    expect(td.definition).toBeUndefined();
    const row = await core.core.store.db("projects").where({ id: created.id }).first();
    expect([row.requested_definition_json, row.effective_definition_json]).toEqual([null, null]);
  });

  it("reads the definition against an uploaded dataset, gzip too", async () => {
    const { datasetId } = await upload(core.datasets, gzipSync(log));
    const created = await create({
      datasetCsv: Buffer.alloc(0),
      datasetId,
      definition: definition(),
    });
    expect(created.definition?.columns).toEqual({
      ...inferred,
      amount: Definition.COLUMN_DEFINITION_TEXT,
      paid: Definition.COLUMN_DEFINITION_TEXT,
      note: Definition.COLUMN_DEFINITION_TEXT,
    });
  });

  it("takes the legacy case_id_column as columns[c] = CASE_ID, alone or agreeing", async () => {
    const renamed = log.replace("case_id,", "order,");
    const alone = await create({
      datasetCsv: Buffer.from(renamed),
      caseIdColumn: "order",
      definition: definition(),
    });
    expect(alone.definition?.columns.order).toBe(Definition.COLUMN_DEFINITION_CASE_ID);
    const agreeing = await create({
      caseIdColumn: "case_id",
      definition: definition({ columns: { case_id: Definition.COLUMN_DEFINITION_CASE_ID } }),
    });
    expect(agreeing.definition?.columns.case_id).toBe(Definition.COLUMN_DEFINITION_CASE_ID);
  });

  it.each<[string, Parameters<typeof createProject>[1], string[]]>([
    [
      "case_id_column disagreeing with the definition",
      { caseIdColumn: "note", definition: definition({ columns: inferred }) },
      ['case_id_column names "note" but the definition defines "case_id" as CASE_ID'],
    ],
    [
      "case_id_column naming a column the definition defines otherwise",
      {
        caseIdColumn: "note",
        definition: definition({ columns: { note: Definition.COLUMN_DEFINITION_TEXT } }),
      },
      ['case_id_column names "note" but the definition defines it as TEXT'],
    ],
    [
      "a column not in the header",
      { definition: definition({ columns: { amonut: Definition.COLUMN_DEFINITION_NUMBER } }) },
      ['names column "amonut", not in the header; the columns are "case_id", "activity"'],
    ],
    [
      "an UNSPECIFIED column",
      {
        definition: definition({ columns: { amount: Definition.COLUMN_DEFINITION_UNSPECIFIED } }),
      },
      ['column "amount" is UNSPECIFIED, which is not a definition: define it as one of CASE_ID'],
    ],
    [
      "a ColumnDefinition this core does not know",
      { definition: definition({ columns: { amount: 99 as Definition } }) },
      ['column "amount" is UNSPECIFIED'],
    ],
    [
      "two CASE_ID columns",
      {
        definition: definition({
          columns: {
            case_id: Definition.COLUMN_DEFINITION_CASE_ID,
            note: Definition.COLUMN_DEFINITION_CASE_ID,
          },
        }),
      },
      ['2 columns are CASE_ID ("case_id", "note"): keep one'],
    ],
    [
      "a dataset without an activity column",
      { datasetCsv: Buffer.from("case,step,time\nc1,a,2024-01-01\n"), definition: definition() },
      [
        'no ACTIVITY column, so this is not an event log as defined: define one of "case", "step", "time" as ACTIVITY',
        'inferred: "case" as CASE_ID',
      ],
    ],
    [
      "a dataset that is no event log",
      { datasetCsv: Buffer.from("a,b\n1,2\n"), definition: definition() },
      ["no CASE_ID column, so this is not an event log", "no ACTIVITY column", "no TIMESTAMP"],
    ],
    [
      "a START_TIMESTAMP without an END_TIMESTAMP",
      {
        definition: definition({
          columns: { timestamp: Definition.COLUMN_DEFINITION_START_TIMESTAMP },
        }),
      },
      ['"timestamp" is START_TIMESTAMP but no column is END_TIMESTAMP: define the column'],
    ],
    [
      "a case attribute not in the header",
      { definition: definition({ caseAttributes: ["region"] }) },
      ['case_attributes names "region", not in the header'],
    ],
    [
      "a case attribute that is not an attribute",
      { definition: definition({ caseAttributes: ["activity"] }) },
      ['case attribute "activity" is ACTIVITY: only TEXT, NUMBER, BOOLEAN or DATETIME'],
    ],
    [
      "an operator that does not fit the column",
      {
        definition: definition({
          columns: { amount: Definition.COLUMN_DEFINITION_NUMBER },
          treatment: anyOf([when("amount", Operator.OPERATOR_CONTAINS, "5")]),
        }),
      },
      [
        'treatment group 1 condition 1: CONTAINS does not apply to "amount", a number column (NUMBER); use one of EQUAL',
      ],
    ],
    [
      "an operator on a text column that a redefinition would fit",
      { definition: definition({ treatment: anyOf([when("paid", Operator.OPERATOR_IS_TRUE)]) }) },
      ['IS_TRUE does not apply to "paid"', 'or define "paid" as BOOLEAN'],
    ],
    [
      "a value that does not read as the column's type",
      {
        definition: definition({
          positiveOutcome: anyOf([when("timestamp", Operator.OPERATOR_LATER_THAN, "tomorrow")]),
        }),
      },
      [
        'positive_outcome group 1 condition 1: cannot read "tomorrow" as a timestamp (write ISO 8601',
      ],
    ],
    [
      "an UNSPECIFIED operator",
      {
        definition: definition({
          positiveOutcome: anyOf([when("activity", Operator.OPERATOR_UNSPECIFIED, "pay")]),
        }),
      },
      ['positive_outcome group 1 condition 1: no operator; for "activity", a text column'],
    ],
    [
      "a condition on a column that does not exist",
      {
        definition: definition({
          negativeOutcome: anyOf([when("status", Operator.OPERATOR_EQUAL, "x")]),
        }),
      },
      ['negative_outcome group 1 condition 1: no column "status"; name a column of the header'],
    ],
    [
      "both outcome rules",
      {
        definition: definition({
          positiveOutcome: anyOf([when("ACTIVITY", Operator.OPERATOR_EQUAL, "pay")]),
          negativeOutcome: anyOf([when("ACTIVITY", Operator.OPERATOR_EQUAL, "reject")]),
        }),
      },
      ["both positive_outcome and negative_outcome are given: keep one"],
    ],
    [
      "a dataset whose head cannot be read",
      { datasetCsv: Buffer.from("a,b,a\n1,2,3\n"), definition: definition() },
      ['dataset: line 1: duplicate column name "a" (columns 1 and 3)'],
    ],
  ])(
    "refuses %s with INVALID_ARGUMENT, naming the column and the fix",
    async (_name, fields, parts) => {
      const failure = await failureOf(create(fields));
      expect(failure.code).toBe(status.INVALID_ARGUMENT);
      for (const part of parts) expect(failure.details).toContain(part);
      const projects = await core.core.store.db("projects").count({ n: "*" });
      expect(Number(projects[0]?.n)).toBe(0);
    },
  );

  it("names every problem of a definition in one message", async () => {
    const failure = await failureOf(
      create({
        definition: definition({
          columns: { amonut: Definition.COLUMN_DEFINITION_NUMBER },
          caseAttributes: ["region"],
          treatment: anyOf([]), // one group without conditions
          negativeOutcome: anyOf([when("amount", Operator.OPERATOR_IS_FALSE)]),
        }),
      }),
    );
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect(failure.details).toMatch(/^the definition does not fit the dataset \(4 problems\): /);
    const parts = ['"amonut"', '"region"', "IS_FALSE does not apply", "treatment group 1 has no"];
    for (const part of parts) {
      expect(failure.details).toContain(part);
    }
  });

  it("checks a definition against an XES log's columns as against a CSV header", async () => {
    const failure = await failureOf(
      create({ datasetCsv: Buffer.from("<?xml version='1.0'?><log/>"), definition: definition() }),
    );
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect(failure.details).toMatch(/^the definition does not fit the dataset/);
  });

  it("stores a plugin's needed_columns with its identity, and refuses UNSPECIFIED", async () => {
    const needs = [Definition.COLUMN_DEFINITION_OUTCOME, Definition.COLUMN_DEFINITION_TREATMENT];
    const alarm = await TestPlugin.connect(core.address, "alarm");
    try {
      const ack = await alarm.send({
        $case: "onlineReport",
        value: { ...alarm.identity(), neededColumns: needs },
      });
      expect(ack.code).toBe(status.OK);
      const db = core.core.store.db;
      const row = await db("plugins").where({ key: "alarm" }).first();
      expect(JSON.parse(row.needed_columns_json)).toEqual(["OUTCOME", "TREATMENT"]);
      const views = await listPluginViews(db, new PluginSessions(60_000));
      expect(views.find((view) => view.key === "alarm")?.neededColumns).toEqual([
        "OUTCOME",
        "TREATMENT",
      ]);
      expect(views.find((view) => view.key === "knn")?.neededColumns).toEqual([]);

      const refused = await alarm.send({
        $case: "onlineReport",
        value: { ...alarm.identity(), neededColumns: [Definition.COLUMN_DEFINITION_UNSPECIFIED] },
      });
      expect(refused.code).toBe(status.INVALID_ARGUMENT);
      expect(refused.message).toMatch(
        /^OnlineReport.needed_columns\[0\] is COLUMN_DEFINITION_UNSPECIFIED or a value this core does not know: list only .*COLUMN_DEFINITION_OUTCOME/,
      );
      const kept = await db("plugins").where({ key: "alarm" }).first();
      expect(JSON.parse(kept.needed_columns_json)).toEqual(["OUTCOME", "TREATMENT"]);
    } finally {
      alarm.close();
    }
  });
});
