import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  checkPart,
  type IncomingPrescription,
  maxPrescriptionsPerPart,
  sameStoredPrescription,
} from "../../../../src/domain/prescriptions/part-checks.js";

function item(caseId: string, ...rest: [output?: unknown, extra?: object]): IncomingPrescription {
  const output = rest.length === 0 ? "x" : rest[0];
  return { caseId, prescription: { type: "T", output, detail: "", model: { n: 1 }, ...rest[1] } };
}

describe("checkPart", () => {
  it("stores every google.protobuf.Value kind as canonical JSON", () => {
    const outputs = [
      null,
      undefined,
      0.25,
      -3,
      "text",
      "",
      true,
      false,
      [1, "a", null],
      { b: 1, a: { d: 2, c: 3 } },
    ];
    const checked = checkPart(outputs.map((o, i) => item(`c${i}`, o)));
    if (!checked.ok) throw new Error(checked.reason);
    expect(checked.rows.map((r) => r.outputJson)).toEqual([
      "null",
      "null",
      "0.25",
      "-3",
      '"text"',
      '""',
      "true",
      "false",
      '[1,"a",null]',
      '{"a":{"c":3,"d":2},"b":1}',
    ]);
    expect(checked.rows[0]?.modelJson).toBe('{"n":1}');
  });

  it("refuses malformed parts, naming the case", () => {
    const bad: [IncomingPrescription[], string][] = [
      [[item("")], "case_id is empty"],
      [[item("a"), item("a")], "twice"],
      [[{ caseId: "a", prescription: undefined }], "no prescription"],
      [[item("a", 1, { type: "T".repeat(201) })], "type"],
      [[item("a", 1, { detail: "d".repeat(4001) })], "detail"],
      [[item("a", Number.POSITIVE_INFINITY)], "finite"],
      [[item("a", { x: Number.NaN })], "finite"],
      [[item("a", "x".repeat(70_000))], "larger"],
      [[item("a\u0000")], "NUL"],
      [[item("a", 1, { type: "T\u0000" })], "NUL"],
    ];
    for (const [part, reason] of bad) {
      const checked = checkPart(part);
      expect(checked.ok, reason).toBe(false);
      if (!checked.ok) expect(checked.reason).toContain(reason);
    }
  });

  it("refuses a part larger than the limit", () => {
    const part = Array.from({ length: maxPrescriptionsPerPart + 1 }, (_, i) => item(`c${i}`));
    expect(checkPart(part)).toMatchObject({ ok: false });
    expect(checkPart(part.slice(1))).toMatchObject({ ok: true });
  });

  it("compares stored prescriptions field by field", () => {
    const a = { type: "T", outputJson: "1", detail: "", modelJson: "{}" };
    expect(sameStoredPrescription(a, { ...a })).toBe(true);
    for (const field of ["type", "outputJson", "detail", "modelJson"] as const) {
      expect(sameStoredPrescription(a, { ...a, [field]: "2" })).toBe(false);
    }
  });

  it("canonicalJson sorts keys at every depth", () => {
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe('[{"a":2,"b":1}]');
    expect(canonicalJson(Number.NaN)).toBeUndefined();
  });
});
