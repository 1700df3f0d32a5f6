/**
 * Random answers to prescription requests against the real server (both dialects), with
 * fast-check: parts of random cases with outputs of every google.protobuf.Value kind (and
 * non-finite numbers), repeated, reordered and with keys in another order; unknown cases and
 * request ids, another key's request, parts after `last` and after a PrescriptionError, huge
 * parts (every case of a 3,000-case job; one over the 10,000 limit), malformed prescriptions,
 * pipelined. An independent model (`prescription-model.ts`) predicts every ack's code and what
 * is stored; checked: every request acked once, in order, as predicted; the stored results,
 * the request's status and `cases_done` equal the model's; the core still serves.
 *
 * FUZZ_SEED reproduces a run; FUZZ_RUNS and FUZZ_TIME_MS scale a longer session.
 */
import { status } from "@grpc/grpc-js";
import fc from "fast-check";
import { expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus } from "../../../src/gen/grpc/health/v1/health.js";
import type { CasePrescription } from "../../../src/gen/trainingcore/v1/prescription.js";
import { describeEachDialect } from "../../helpers/databases.js";
import { fuzzCorePerDescribe, servingStatus } from "../../helpers/fuzz/fuzz-core.js";
import { type Answer, RequestModel, stableJson } from "../../helpers/fuzz/prescription-model.js";
import { numRuns, seed, timeLimitMs } from "../../helpers/fuzz/settings.js";
import { TestPlugin } from "../../helpers/plugin-client.js";
import { createProject } from "../../helpers/projects.js";
import {
  readJob,
  runningCases,
  storedResults,
  storePrescriptionJob,
} from "../../helpers/stored-prescription-jobs.js";

const jobCases = runningCases(3000).map((c) => c.caseId);
const few = jobCases.slice(0, 12);

/** Every kind of google.protobuf.Value, nested, and numbers JSON cannot hold. */
const valueArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.double(),
    fc.integer(),
    fc.string({ unit: "grapheme", maxLength: 8 }),
    fc.boolean(),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie("value"), { maxKeys: 3 }),
  ),
})).value;

const prescriptionArb = fc.record({
  type: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom("NEXT_ACTIVITY", "ALARM", "") },
    { weight: 1, arbitrary: fc.constant("T".repeat(201)) },
  ),
  output: valueArb,
  detail: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom("", "why") },
    { weight: 1, arbitrary: fc.constant("d".repeat(4001)) },
  ),
  model: fc.constantFrom({}, { name: "m", accuracy: 0.9 }, { b: 1, a: 2 }),
});

const caseIdArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...few) },
  { weight: 1, arbitrary: fc.constantFrom("", "nope", "c9999", "x".repeat(1001)) },
);

const itemArb = fc.oneof(
  { weight: 12, arbitrary: fc.record({ caseId: caseIdArb, prescription: prescriptionArb }) },
  { weight: 1, arbitrary: fc.record({ caseId: caseIdArb }) },
);

type Command =
  | { kind: "answer"; answer: Answer }
  | { kind: "again"; back: number }
  | { kind: "unknown-request" }
  | { kind: "other-key" }
  | { kind: "huge"; over: boolean };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .record({ items: fc.array(itemArb, { maxLength: 6 }), last: fc.boolean() })
      .map(
        ({ items, last }): Command => ({ kind: "answer", answer: { kind: "part", items, last } }),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom("boom", "  ", "e".repeat(4001))
      .map((detail): Command => ({ kind: "answer", answer: { kind: "error", detail } })),
  },
  { weight: 4, arbitrary: fc.nat(8).map((back): Command => ({ kind: "again", back })) },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: "unknown-request" }) },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: "other-key" }) },
  { weight: 1, arbitrary: fc.boolean().map((over): Command => ({ kind: "huge", over })) },
);

interface Scenario {
  readonly pipelined: boolean;
  readonly commands: readonly Command[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  pipelined: fc.boolean(),
  commands: fc.array(commandArb, { minLength: 1, maxLength: 14 }),
});

function toProto(answer: Answer & { kind: "part" }): CasePrescription[] {
  return answer.items.map((item) => ({ caseId: item.caseId, prescription: item.prescription }));
}

/** The same value with every object's keys in reverse order (stored the same). */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

describeEachDialect("fuzzed prescription answers", (dialect) => {
  const fuzz = fuzzCorePerDescribe(dialect);
  const stats = { runs: 0, requests: 0, codes: new Map<number, number>() };

  it(
    "acks random answers as the model predicts, once each, in order, and stores what it says",
    async () => {
      const { core } = fuzz;
      const a = await TestPlugin.connect(core.address, "fp-a", { prescribes: true });
      const b = await TestPlugin.connect(core.address, "fp-b", { prescribes: true });
      try {
        const project = await createProject(core.projects, { pluginKeys: ["fp-a", "fp-b"] });
        await core.core.preprocessingIdle();
        await a.train(await a.trainingData.next());
        await b.train(await b.trainingData.next());
        const cases = runningCases(3000);

        const run = async (scenario: Scenario) => {
          stats.runs++;
          const job = await storePrescriptionJob(core.core, project.id, cases, {
            prescribingKeys: ["fp-a", "fp-b"],
          });
          const request = await a.prescriptionRequests.next();
          const otherRequest = await b.prescriptionRequests.next();
          const model = new RequestModel(new Set(jobCases));
          const sent: { answer: Answer; requestId: string; expected: number }[] = [];
          const send = (answer: Answer, requestId: string, expected: number) => {
            sent.push({ answer, requestId, expected });
            return answer.kind === "part"
              ? a.answer(requestId, toProto(answer), answer.last)
              : a.prescriptionError(requestId, answer.detail);
          };
          const acks: Promise<{ code: number; message: string }>[] = [];
          for (const command of scenario.commands) {
            let answer: Answer = { kind: "part", items: [], last: false };
            let requestId = request.requestId;
            let expected = 0;
            switch (command.kind) {
              case "answer":
                answer = command.answer;
                expected = model.apply(answer);
                break;
              case "again": {
                const earlier = sent
                  .filter((s) => s.requestId === request.requestId)
                  .at(-1 - command.back);
                if (!earlier) continue;
                answer =
                  earlier.answer.kind === "part"
                    ? {
                        ...earlier.answer,
                        items: earlier.answer.items.map((item) =>
                          item.prescription
                            ? {
                                ...item,
                                prescription: {
                                  ...item.prescription,
                                  output: reversedKeys(item.prescription.output),
                                },
                              }
                            : item,
                        ),
                      }
                    : earlier.answer;
                expected = model.apply(answer);
                break;
              }
              case "unknown-request":
                answer = { kind: "part", items: [], last: true };
                requestId = "rq_unknown";
                expected = status.NOT_FOUND;
                break;
              case "other-key":
                answer = { kind: "part", items: [], last: true };
                requestId = otherRequest.requestId;
                expected = status.PERMISSION_DENIED;
                break;
              case "huge": {
                const count = command.over ? 10_001 : jobCases.length;
                const ids = command.over
                  ? Array.from({ length: count }, (_, i) => `h${i}`)
                  : jobCases;
                answer = {
                  kind: "part",
                  items: ids.map((caseId) => ({
                    caseId,
                    prescription: {
                      type: "ALARM",
                      output: { p: 0.25, caseId },
                      detail: "",
                      model: {},
                    },
                  })),
                  last: false,
                };
                expected = model.apply(answer);
                break;
              }
            }
            const ack = send(answer, requestId, expected);
            acks.push(ack);
            if (!scenario.pipelined) await ack;
          }
          const answered = await Promise.all(acks);
          const problems: string[] = [];
          answered.forEach((ack, i) => {
            stats.requests++;
            stats.codes.set(ack.code, (stats.codes.get(ack.code) ?? 0) + 1);
            const s = sent[i];
            if (s && ack.code !== s.expected) {
              const what = JSON.stringify(s.answer).slice(0, 300);
              problems.push(
                `#${i} ${what}: acked ${ack.code} (${ack.message}), expected ${s.expected}`,
              );
            }
            if ((ack.code === 0) !== (ack.message === ""))
              problems.push(`#${i}: message ${ack.message}`);
          });
          const stored = await storedResults(core.core, request.requestId);
          const storedView = new Map(
            [...stored].map(([caseId, r]) => [
              caseId,
              JSON.stringify([r.type, stableJson(r.output), r.detail, stableJson(r.model)]),
            ]),
          );
          if (storedView.size !== model.stored.size) {
            problems.push(
              `stored ${storedView.size} prescriptions, the model ${model.stored.size}`,
            );
          }
          for (const [caseId, form] of model.stored) {
            if (storedView.get(caseId) !== form)
              problems.push(`case ${caseId}: stored ${storedView.get(caseId)}, model ${form}`);
          }
          const { requests } = await readJob(core.core, job.jobId);
          const row = requests.find((r) => r.id === request.requestId);
          if (row?.status !== model.status)
            problems.push(`status ${row?.status}, model ${model.status}`);
          if (Number(row?.cases_done) !== model.stored.size) {
            problems.push(`cases_done ${row?.cases_done}, model ${model.stored.size}`);
          }
          // Let b's request go too, so that every request leaves the leases.
          await b.answer(otherRequest.requestId, [], true);
          expect(await servingStatus(fuzz.health)).toBe(HealthCheckResponse_ServingStatus.SERVING);
          if (problems.length > 0) throw new Error(problems.join("\n"));
          // a's request may still be open: end it so the next job's request is delivered.
          if (model.status === "RUNNING") await a.prescriptionError(request.requestId, "run over");
        };

        await fc.assert(fc.asyncProperty(scenarioArb, run), {
          seed,
          numRuns: Math.min(numRuns, 30),
          endOnFailure: true,
          interruptAfterTimeLimit: timeLimitMs,
          markInterruptAsFailure: false,
        });
        console.log(
          `[fuzz] prescriptions ${dialect}: ${stats.runs} runs, ${stats.requests} answers; ack codes ${JSON.stringify(Object.fromEntries(stats.codes))}`,
        );
      } finally {
        a.close();
        b.close();
      }
    },
    timeLimitMs + 60_000,
  );
});
