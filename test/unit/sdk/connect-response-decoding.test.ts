/** The SDK's ConnectResponse decoder gives what the generated one gives, on any bytes. */
import { isDeepStrictEqual } from "node:util";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ColumnDefinition, Operator } from "../../../src/gen/trainingcore/v1/definition.js";
import {
  ConnectResponse,
  type PrescriptionRequest,
} from "../../../src/gen/trainingcore/v1/plugin_service.js";
import { decodeConnectResponse } from "../../../src/sdk/connect-response-decoding.js";

type Outcome = { value: ConnectResponse } | { threw: true };

function outcome(decode: () => ConnectResponse): Outcome {
  try {
    return { value: decode() };
  } catch {
    return { threw: true };
  }
}

/** Both decoders on `bytes`: equal results (prototypes included), or both throw. */
function expectSameDecoding(bytes: Uint8Array): void {
  const generated = outcome(() => ConnectResponse.decode(bytes));
  const ours = outcome(() => decodeConnectResponse(bytes));
  if (!isDeepStrictEqual(ours, generated)) {
    expect(ours).toEqual(generated); // shows the difference
    throw new Error("the decodings differ (in a way toEqual does not show)");
  }
}

function encoded(message: ConnectResponse): Uint8Array {
  return ConnectResponse.encode(message).finish();
}

/** The numbers of a ts-proto enum (its object maps names to numbers and back). */
function enumValues<E extends number>(enumObject: Record<string, string | E>): E[] {
  return Object.values(enumObject).filter((value): value is E => typeof value === "number");
}

const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: false }),
    fc.string({ unit: "grapheme" }),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 3 }),
  ),
})).value;

const struct = fc.dictionary(fc.string({ unit: "grapheme" }), json, { maxKeys: 5 });
const cellStruct = fc.dictionary(
  fc.constantFrom("CASE_ID", "ACTIVITY", "TIMESTAMP", "RESOURCE", "", "__proto__", "constructor"),
  fc.oneof(fc.string({ unit: "grapheme" }), json),
  { maxKeys: 5 },
);
const int64 = fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.maxSafeInteger());

const definition = fc.option(
  fc.record({
    columns: fc.dictionary(fc.string(), fc.constantFrom(...enumValues(ColumnDefinition))),
    caseAttributes: fc.array(fc.string(), { maxLength: 3 }),
    positiveOutcome: fc.option(
      fc.record({
        anyOf: fc.array(
          fc.record({
            conditions: fc.array(
              fc.record({
                column: fc.string(),
                operator: fc.constantFrom(...enumValues(Operator)),
                value: fc.string(),
              }),
              { maxLength: 2 },
            ),
          }),
          { maxLength: 2 },
        ),
      }),
      { nil: undefined },
    ),
    negativeOutcome: fc.constant(undefined),
    treatment: fc.constant(undefined),
  }),
  { nil: undefined },
);

const prescriptionRequest: fc.Arbitrary<PrescriptionRequest> = fc.record({
  requestId: fc.string(),
  projectId: int64,
  pluginId: int64,
  modelName: fc.string({ unit: "grapheme" }),
  input: fc.option(
    fc.oneof(
      fc.record({ $case: fc.constant("datasetName" as const), value: fc.string() }),
      fc.record({
        $case: fc.constant("casePrefix" as const),
        value: fc.record({
          caseId: fc.string({ unit: "grapheme" }),
          events: fc.array(cellStruct, { maxLength: 6 }),
        }),
      }),
    ),
    { nil: undefined },
  ),
  parameters: fc.option(struct, { nil: undefined }),
  additionalInfo: fc.option(struct, { nil: undefined }),
  definition,
});

/** A length-delimited field `number` holding `payload`. */
function field(number: number, payload: Uint8Array): Uint8Array {
  return new BinaryWriter()
    .uint32((number << 3) | 2)
    .bytes(payload)
    .finish();
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

describe("plugin SDK: ConnectResponse decoding", () => {
  it("decodes any PrescriptionRequest as the generated decoder does", () => {
    fc.assert(
      fc.property(prescriptionRequest, (value) => {
        expectSameDecoding(encoded({ message: { $case: "prescriptionRequest", value } }));
      }),
      { numRuns: 500 },
    );
  });

  it("decodes the other messages as the generated decoder does", () => {
    const samples: ConnectResponse[] = [
      { message: undefined },
      { message: { $case: "ack", value: { sequence: 7, code: 14, message: "later" } } },
      { message: { $case: "onlineInquiry", value: {} } },
      {
        message: {
          $case: "trainingData",
          value: {
            projectId: 1,
            pluginId: 2,
            trainingDfName: "td",
            additionalInfo: { a: 1 },
            parameters: { k: [1, "x", null] },
            definition: undefined,
          },
        },
      },
    ];
    for (const sample of samples) expectSameDecoding(encoded(sample));
  });

  it("skips unknown fields, keeps the last of repeated ones and leaves unset cells out", () => {
    const unknown = new BinaryWriter()
      .uint32((99 << 3) | 0)
      .uint64(5)
      .finish();
    const entry = (key: string, value?: Uint8Array) => {
      const writer = new BinaryWriter().uint32(10).string(key);
      if (value) writer.uint32(18).bytes(value);
      return writer
        .uint32((7 << 3) | 5)
        .fixed32(1)
        .finish();
    };
    const stringValue = (text: string) => new BinaryWriter().uint32(26).string(text).finish();
    const twoKinds = concat(
      stringValue("first"),
      new BinaryWriter().uint32(32).bool(true).finish(),
    );
    const event = concat(
      field(1, entry("ACTIVITY", stringValue("a"))),
      unknown,
      field(1, entry("ACTIVITY", stringValue("b"))), // the later one wins
      field(1, entry("EMPTY")), // no value: left out
      field(1, entry("KIND", twoKinds)), // the last kind wins
      field(1, entry("__proto__", stringValue("x"))),
      field(
        1,
        entry(
          "__proto__",
          new BinaryWriter()
            .uint32(42)
            .bytes(field(1, entry("p", stringValue("q"))))
            .finish(),
        ),
      ),
    );
    const prefix = concat(
      new BinaryWriter().uint32(10).string("c1").finish(),
      unknown,
      field(2, event),
      field(2, new Uint8Array()),
    );
    const request = concat(
      new BinaryWriter().uint32(10).string("r1").uint32(16).int64(3).finish(),
      unknown,
      field(6, prefix),
      field(5, new TextEncoder().encode("replaced by the case prefix? no: the last input wins")),
      field(6, prefix),
      field(7, event),
    );
    expectSameDecoding(field(15, request));
    // A PrescriptionRequest followed by another field, or two of them: the generated path.
    expectSameDecoding(concat(field(15, request), field(15, request)));
    expectSameDecoding(
      concat(field(15, request), new BinaryWriter().uint32(88).uint32(1).finish()),
    );
  });

  it("refuses what the generated decoder refuses", () => {
    const tooLarge = new BinaryWriter().uint32(16).int64("9007199254740993").finish();
    expectSameDecoding(field(15, tooLarge));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (payload) => {
        // Any bytes claimed to be a PrescriptionRequest, and any bytes at all.
        expectSameDecoding(
          concat(
            new Uint8Array([122]),
            new BinaryWriter().uint32(payload.length).finish(),
            payload,
          ),
        );
        expectSameDecoding(payload);
      }),
      { numRuns: 2_000 },
    );
  });
});
