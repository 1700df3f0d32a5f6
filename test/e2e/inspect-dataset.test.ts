// DatasetService.InspectDataset on a real core: the header, what the core infers, the first
// rows and the format, of an inline dataset or an upload, plain or gzip.
import { gzipSync } from "node:zlib";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import type {
  InspectDatasetRequest,
  InspectDatasetResponse,
} from "../../src/gen/trainingcore/v1/dataset_service.js";
import { ColumnDefinition as Definition } from "../../src/gen/trainingcore/v1/definition.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { upload } from "../helpers/datasets.js";
import { failureOf } from "../helpers/projects.js";

const rows = Array.from(
  { length: 7 },
  (_, i) => `c${i % 3};"step ${i}; of 7";2024-01-0${i + 1} 10:00:00;ann;${i * 1.5}`,
);
const log = `\ufeffCase ID;Activity;Start Time;Resource;cost\n${rows.join("\n")}\n`;

const expected: InspectDatasetResponse = {
  columns: ["Case ID", "Activity", "Start Time", "Resource", "cost"],
  inferred: {
    "Case ID": Definition.COLUMN_DEFINITION_CASE_ID,
    Activity: Definition.COLUMN_DEFINITION_ACTIVITY,
    // A lone start time is the time events are ordered by.
    "Start Time": Definition.COLUMN_DEFINITION_TIMESTAMP,
    Resource: Definition.COLUMN_DEFINITION_RESOURCE,
    cost: Definition.COLUMN_DEFINITION_COST,
  },
  sampleRows: [0, 1, 2, 3, 4].map((i) => ({
    values: [`c${i % 3}`, `step ${i}; of 7`, `2024-01-0${i + 1} 10:00:00`, "ann", `${i * 1.5}`],
  })),
  format: "csv",
};

describeEachDialect("InspectDataset", (dialect) => {
  let database: TestDatabase;
  let core: TestCore;

  beforeAll(async () => {
    database = await createTestDatabaseUrl(dialect);
    core = await startTestCore(database.url, { maxDatasetBytes: 64 * 1024 });
  });

  afterAll(async () => {
    await core?.stop();
    await database?.drop();
  });

  function inspect(request: Partial<InspectDatasetRequest>): Promise<InspectDatasetResponse> {
    return new Promise((resolve, reject) =>
      core.datasets.inspectDataset(
        { datasetId: "", dataset: Buffer.alloc(0), ...request },
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
  }

  it("shows the head of an inline CSV", async () => {
    expect(await inspect({ dataset: Buffer.from(log) })).toEqual(expected);
  });

  it("shows the head of an inline gzip CSV", async () => {
    expect(await inspect({ dataset: gzipSync(log) })).toEqual({
      ...expected,
      format: "csv+gzip",
    });
  });

  it.each([
    ["plain", Buffer.from(log), "csv"],
    ["gzip", gzipSync(log), "csv+gzip"],
  ])("shows the head of a %s upload", async (_name, data, format) => {
    const { datasetId } = await upload(core.datasets, data);
    expect(await inspect({ datasetId })).toEqual({ ...expected, format });
  });

  it("reads only the head of a large upload", async () => {
    const many = Buffer.from(`${log}${`c9;later;2024-02-01 10:00:00;bob;1\n`.repeat(200_000)}`);
    const { datasetId } = await upload(core.datasets, gzipSync(many));
    expect(await inspect({ datasetId })).toEqual({ ...expected, format: "csv+gzip" });
  });

  it.each<[string, Partial<InspectDatasetRequest>, status, string]>([
    [
      "an unknown dataset_id",
      { datasetId: "ds_000000000000000000000000" },
      status.NOT_FOUND,
      'no uploaded dataset "ds_000000000000000000000000"',
    ],
    ["a dataset_id that names no upload", { datasetId: "td_x" }, status.NOT_FOUND, '"td_x"'],
    [
      "neither dataset_id nor dataset",
      {},
      status.INVALID_ARGUMENT,
      "a dataset is required: dataset (inline) or dataset_id (from UploadDataset)",
    ],
    [
      "both dataset_id and dataset",
      { datasetId: "ds_000000000000000000000000", dataset: Buffer.from(log) },
      status.INVALID_ARGUMENT,
      "set only one of dataset and dataset_id",
    ],
    [
      "an inline dataset over the limit",
      { dataset: Buffer.alloc(64 * 1024 + 1, 97) },
      status.INVALID_ARGUMENT,
      "dataset has 65537 bytes; the limit is 65536 (CORE_MAX_DATASET_BYTES)",
    ],
    [
      "a CSV whose head cannot be read",
      { dataset: Buffer.from('a,b\n1,"2\n') },
      status.INVALID_ARGUMENT,
      "dataset: line 2: quoted field is never closed",
    ],
    [
      "gzip that does not decompress",
      { dataset: Buffer.concat([gzipSync(log).subarray(0, 10), Buffer.alloc(50, 1)]) },
      status.INVALID_ARGUMENT,
      "dataset: the file starts like gzip but cannot be decompressed",
    ],
    [
      "an XML document that is not an XES log",
      { dataset: Buffer.from('<?xml version="1.0"?>\n<html></html>') },
      status.INVALID_ARGUMENT,
      "dataset: line 2: the root element is <html>, not <log>",
    ],
  ])("refuses %s", async (_name, request, code, details) => {
    const failure = await failureOf(inspect(request));
    expect(failure.code).toBe(code);
    expect(failure.details).toContain(details);
  });

  it("reads an XES log, plain or gzip: trace attributes as case: columns, typed hints", async () => {
    const xes =
      '<?xml version="1.0"?>\n<log><trace><string key="concept:name" value="c1"/>' +
      '<event><string key="concept:name" value="register"/><int key="cost" value="7"/>' +
      '<date key="time:timestamp" value="2024-01-01T10:00:00.000+01:00"/></event></trace></log>';
    for (const [dataset, format] of [
      [Buffer.from(xes), "xes"],
      [gzipSync(xes), "xes+gzip"],
    ] as const) {
      expect(await inspect({ dataset })).toEqual({
        columns: ["case:concept:name", "concept:name", "cost", "time:timestamp"],
        inferred: {
          "case:concept:name": Definition.COLUMN_DEFINITION_CASE_ID,
          "concept:name": Definition.COLUMN_DEFINITION_ACTIVITY,
          cost: Definition.COLUMN_DEFINITION_COST,
          "time:timestamp": Definition.COLUMN_DEFINITION_TIMESTAMP,
        },
        sampleRows: [{ values: ["c1", "register", "7", "2024-01-01T10:00:00.000+01:00"] }],
        format,
      });
    }
  });
});
