import { describe, expect, it } from "vitest";
import {
  decideModelUpload,
  type ModelSlot,
  modelNameMismatch,
  modelNameProblem,
} from "../../../src/domain/model-uploads.js";
import { type PluginStatus, pluginStatuses } from "../../../src/domain/statuses.js";

const sha = "a".repeat(64);
const otherSha = "b".repeat(64);

/** The upload asked about: the stored model (if any) is "m" with `sha`. */
const uploads = {
  sameNameSameBytes: ["m", sha],
  sameNameOtherBytes: ["m", otherSha],
  sameNameBytesUnknown: ["m", ""],
  otherName: ["n", sha],
} as const;
type UploadName = keyof typeof uploads;
type Expected = "store" | "same" | "refused";

const always = (expected: Expected): Record<UploadName, Expected> => ({
  sameNameSameBytes: expected,
  sameNameOtherBytes: expected,
  sameNameBytesUnknown: expected,
  otherName: expected,
});

// Every status × stored or not × every upload: the whole rule at a glance.
const table: Record<
  PluginStatus,
  { none: Record<UploadName, Expected>; stored: Record<UploadName, Expected> }
> = {
  WAITING: { none: always("refused"), stored: always("refused") },
  PREPROCESSING: { none: always("store"), stored: always("store") },
  TRAINING: { none: always("store"), stored: always("store") },
  TRAINED: {
    none: always("refused"),
    stored: {
      sameNameSameBytes: "same",
      sameNameOtherBytes: "refused",
      // Not known before the bytes arrive: go on, decide with the computed hash.
      sameNameBytesUnknown: "store",
      otherName: "refused",
    },
  },
  NOT_APPLICABLE: { none: always("refused"), stored: always("refused") },
  ERROR: { none: always("refused"), stored: always("refused") },
};

describe("decideModelUpload", () => {
  const cases = pluginStatuses.flatMap((status) =>
    (["none", "stored"] as const).flatMap((stored) =>
      (Object.keys(uploads) as UploadName[]).map((upload) => ({
        status,
        stored,
        upload,
        expected: table[status][stored][upload],
      })),
    ),
  );

  it.each(cases)(
    "$status, $stored model, $upload → $expected",
    ({ status, stored, upload, expected }) => {
      const slot: ModelSlot =
        stored === "none"
          ? { status, uploadName: null, uploadSha256: null }
          : { status, uploadName: "m", uploadSha256: sha };
      const [name, hash] = uploads[upload];
      const outcome = decideModelUpload(slot, name, hash);
      expect(outcome.decision).toBe(expected);
      if (outcome.decision === "refused") expect(outcome.reason).toContain(`is ${status}`);
    },
  );
});

describe("modelNameMismatch", () => {
  it("accepts any name when no model is stored, and the stored name", () => {
    expect(modelNameMismatch(null, "x")).toBeUndefined();
    expect(modelNameMismatch("m.bin", "m.bin")).toBeUndefined();
  });

  it("names both names when they differ", () => {
    const reason = modelNameMismatch("m.bin", "other.bin");
    expect(reason).toContain('"other.bin"');
    expect(reason).toContain('"m.bin"');
  });
});

describe("modelNameProblem", () => {
  it.each([
    ["", /required/],
    ["   ", /required/],
    ["x".repeat(201), /longer than 200/],
    ["a\u0000b", /NUL/],
  ])("refuses %j", (name, problem) => {
    expect(modelNameProblem(name)).toMatch(problem);
  });

  it("accepts 1 to 200 characters", () => {
    expect(modelNameProblem("m")).toBeUndefined();
    expect(modelNameProblem("é".repeat(200))).toBeUndefined();
  });
});
