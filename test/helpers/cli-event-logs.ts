/**
 * A small event log and definition files for the tests of `dataset inspect` and of the
 * definition options of `project create`.
 */
import { gzipSync } from "node:zlib";

/**
 * Three cases, `;`-separated with a BOM, as a consumer's export may be: c1 paid and went
 * through `pay`; c2 did neither; c3 paid without `pay`.
 */
export const eventLog = `\ufeff${[
  "case_id;activity;timestamp;user;paid;channel",
  "c1;register;2024-01-01T10:00:00Z;ann;yes;web",
  "c2;register;2024-01-02T10:00:00Z;ann;no;desk",
  "c1;pay;2024-01-03T11:00:00Z;bob;yes;web",
  "c2;reject;2024-01-02T12:00:00Z;cid;no;desk",
  "c3;register;2024-01-04T09:00:00Z;ann;yes;post",
  "c3;close;2024-01-05T09:00:00Z;bob;yes;post",
].join("\n")}\n`;

export const eventLogGzip = gzipSync(eventLog);

/** What `dataset inspect --json` shows of `eventLog`. */
export const eventLogInspection = {
  columns: ["case_id", "activity", "timestamp", "user", "paid", "channel"],
  inferred: {
    case_id: "COLUMN_DEFINITION_CASE_ID",
    activity: "COLUMN_DEFINITION_ACTIVITY",
    timestamp: "COLUMN_DEFINITION_TIMESTAMP",
    user: "COLUMN_DEFINITION_RESOURCE",
  },
  sampleRows: [
    ["c1", "register", "2024-01-01T10:00:00Z", "ann", "yes", "web"],
    ["c2", "register", "2024-01-02T10:00:00Z", "ann", "no", "desk"],
    ["c1", "pay", "2024-01-03T11:00:00Z", "bob", "yes", "web"],
    ["c2", "reject", "2024-01-02T12:00:00Z", "cid", "no", "desk"],
    ["c3", "register", "2024-01-04T09:00:00Z", "ann", "yes", "post"],
  ].map((values) => ({ values })),
  format: "csv",
};

/**
 * A definition file in protobuf JSON: `paid` is a boolean, a case paid is a positive outcome,
 * a case that went through `pay` by someone other than ann is treated. It defines `channel` as
 * CATEGORICAL, which a test overrides with `--column channel=text`.
 */
export const definitionFile = {
  columns: { paid: "COLUMN_DEFINITION_BOOLEAN", channel: "COLUMN_DEFINITION_CATEGORICAL" },
  case_attributes: ["paid"],
  positiveOutcome: {
    anyOf: [{ conditions: [{ column: "paid", operator: "OPERATOR_IS_TRUE" }] }],
  },
  treatment: {
    anyOf: [
      {
        conditions: [
          { column: "ACTIVITY", operator: "OPERATOR_EQUAL", value: "pay" },
          { column: "user", operator: "OPERATOR_NOT_EQUAL", value: "ann" },
        ],
      },
    ],
  },
};

/** `eventLog`'s effective columns with `paid` a boolean and `channel` categorical. */
export const effectiveColumns = {
  case_id: "COLUMN_DEFINITION_CASE_ID",
  activity: "COLUMN_DEFINITION_ACTIVITY",
  timestamp: "COLUMN_DEFINITION_TIMESTAMP",
  user: "COLUMN_DEFINITION_RESOURCE",
  paid: "COLUMN_DEFINITION_BOOLEAN",
  channel: "COLUMN_DEFINITION_CATEGORICAL",
};

/** The file of a large log (over the CLI's 1 MB inline limit): `eventLog`'s header, many rows. */
export function largeEventLog(): string {
  const rows = Array.from(
    { length: 30_000 },
    (_, i) => `c${i % 997};step ${i % 13};2024-01-01T10:00:00Z;ann;yes;web`,
  );
  return `case_id;activity;timestamp;user;paid;channel\n${rows.join("\n")}\n`;
}
