// Scenarios of plugin traffic: symbolic commands, resolved against the run's projects when
// they are sent, and the fast-check generators that make them.
import fc from "fast-check";

export type ProjectRef =
  | { readonly ref: "created"; readonly index: number }
  | { readonly ref: "unknown" }
  | { readonly ref: "literal"; readonly value: number };

export type PluginRef =
  /** The sending key's membership in the referenced project (or any, if it has none). */
  | { readonly ref: "own" }
  /** Another key's membership in the referenced project. */
  | { readonly ref: "other" }
  /** The sending key's membership in another created project. */
  | { readonly ref: "elsewhere"; readonly index: number }
  | { readonly ref: "literal"; readonly value: number };

export type Target = { readonly project: ProjectRef; readonly plugin: PluginRef };

export type Command = { readonly stream: number; readonly sequence: number | null } & (
  | { readonly kind: "online"; readonly who: "own" | "other" | "invalid"; readonly name: string }
  | { readonly kind: "empty" }
  | ({ readonly kind: "data"; readonly applicable: boolean } & Target)
  | ({ readonly kind: "start" } & Target)
  | ({ readonly kind: "model"; readonly modelName: string } & Target)
  | ({ readonly kind: "error"; readonly detail: string } & Target)
  /** The happy path on the sender's membership: DataReport(true), TrainingStart, ModelName. */
  | {
      readonly kind: "train";
      readonly index: number;
      /** How far along the path: 1 DataReport, 2 + TrainingStart, 3 + ModelName. */
      readonly steps: number;
      /** How often each step is sent in a row (duplicates). */
      readonly times: readonly number[];
    }
  /** Sends one of this stream's earlier reports again (a duplicate, or out of order). */
  | { readonly kind: "again"; readonly back: number }
);

export interface Scenario {
  readonly keyCount: number;
  /** Per project, the indexes of the keys it targets. */
  readonly projects: readonly (readonly number[])[];
  /** Send everything at once (true) or wait for each ack before the next request. */
  readonly pipelined: boolean;
  readonly commands: readonly Command[];
}

const hugeText = (char: string) => char.repeat(100 * 1024);

/**
 * Strings a plugin might send. U+0000, which PostgreSQL cannot store, is kept out of the random
 * traffic (the tests of inputs found by fuzzing cover it), so that the fuzzer keeps looking for
 * other problems.
 */
const textArb = fc
  .string({ unit: "binary", maxLength: 12 })
  .filter((text) => !text.includes("\u0000"));
/** An ErrorReport detail: any text; empty and blank ones are refused like an empty model name. */
const detailTextArb = textArb;

const modelNameArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("m.pkl", "model-2.onnx") },
  { weight: 2, arbitrary: textArb },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "\t\u3000\n",
      "x".repeat(1024),
      "y".repeat(1025),
      hugeText("z"),
    ),
  },
);

const detailArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("boom", "out of memory") },
  { weight: 2, arbitrary: detailTextArb },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "d".repeat(16 * 1024),
      "e".repeat(16 * 1024 + 1),
      hugeText("f"),
    ),
  },
);

const literalIdArb = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 + 1,
    2 ** 53 - 2,
  ),
  fc.integer({ min: -5, max: 400 }),
);

const projectRefArb: fc.Arbitrary<ProjectRef> = fc.oneof(
  { weight: 12, arbitrary: fc.nat(2).map((index) => ({ ref: "created" as const, index })) },
  { weight: 1, arbitrary: fc.constant({ ref: "unknown" as const }) },
  { weight: 1, arbitrary: literalIdArb.map((value) => ({ ref: "literal" as const, value })) },
);

const pluginRefArb: fc.Arbitrary<PluginRef> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ ref: "own" as const }) },
  { weight: 2, arbitrary: fc.constant({ ref: "other" as const }) },
  { weight: 2, arbitrary: fc.nat(2).map((index) => ({ ref: "elsewhere" as const, index })) },
  { weight: 1, arbitrary: literalIdArb.map((value) => ({ ref: "literal" as const, value })) },
);

const sequenceArb = fc.option(
  fc.oneof(fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER), fc.nat(50)),
  { freq: 8, nil: null },
);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("online" as const),
      stream: fc.nat(2),
      sequence: sequenceArb,
      who: fc.constantFrom("own" as const, "other" as const, "invalid" as const),
      name: fc.oneof(fc.constant("Plugin"), textArb, fc.constant(hugeText("n"))),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("empty" as const),
      stream: fc.nat(2),
      sequence: sequenceArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("data" as const),
      stream: fc.nat(2),
      sequence: sequenceArb,
      project: projectRefArb,
      plugin: pluginRefArb,
      applicable: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("start" as const),
      stream: fc.nat(2),
      sequence: sequenceArb,
      project: projectRefArb,
      plugin: pluginRefArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("model" as const),
      stream: fc.nat(2),
      sequence: sequenceArb,
      project: projectRefArb,
      plugin: pluginRefArb,
      modelName: modelNameArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("error" as const),
      stream: fc.nat(2),
      sequence: sequenceArb,
      project: projectRefArb,
      plugin: pluginRefArb,
      detail: detailArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("train" as const),
      stream: fc.nat(2),
      sequence: fc.constant(null),
      index: fc.nat(2),
      steps: fc.oneof(fc.constant(3), fc.integer({ min: 1, max: 3 })),
      times: fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 })), {
        minLength: 3,
        maxLength: 3,
      }),
    }),
  },
);

const againArb: fc.Arbitrary<Command> = fc.record({
  kind: fc.constant("again" as const),
  stream: fc.nat(2),
  sequence: sequenceArb,
  back: fc.nat(6),
});

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  keyCount: fc.integer({ min: 2, max: 3 }),
  projects: fc.array(fc.subarray([0, 1, 2], { minLength: 1 }), { minLength: 1, maxLength: 3 }),
  pipelined: fc.boolean(),
  commands: fc.array(
    fc.oneof({ weight: 5, arbitrary: commandArb }, { weight: 1, arbitrary: againArb }),
    {
      minLength: 1,
      maxLength: 40,
    },
  ),
});
