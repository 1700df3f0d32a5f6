/** The scenarios, in the order they run; each checks one rule of the plugin protocol. */
import { status } from "@grpc/grpc-js";
import type {
  ConnectRequest,
  PrescriptionRequest,
} from "../../gen/trainingcore/v1/plugin_service.js";
import {
  casePrefixRequest,
  prescriptionRequest,
  runningCaseIds,
  trainingData,
} from "./fixtures.js";
import {
  fail,
  jobEnded,
  kindOf,
  prescribes,
  registered,
  reports,
  type Scenario,
  type ScenarioContext,
  Skip,
  settle,
  waitFor,
} from "./scenario-kit.js";
import type { ScriptedStream } from "./scripted-core.js";

/** Offers the training set and waits until the job ended; fails if it ended without a model. */
async function train(ctx: ScenarioContext, stream: ScriptedStream): Promise<string> {
  stream.send({ $case: "trainingData", value: trainingData() });
  await waitFor(ctx, () => jobEnded(stream), "ModelName, ErrorReport or DataReport");
  const model = stream.of("modelName")[0];
  return model?.message?.$case === "modelName" ? model.message.value.modelName : "";
}

const registersFirst: Scenario = {
  name: "registers-first",
  expected: "the first message is an OnlineReport whose id is the key",
  rule: "1. send an OnlineReport first",
  async run(ctx) {
    const stream = await registered(ctx);
    return `OnlineReport id=${ctx.key}${prescribes(stream) ? ", prescribes" : ""}`;
  },
};

const numbersRequests: Scenario = {
  name: "numbers-requests",
  expected:
    "every request has a sequence, increasing on its stream; an ack for an unknown sequence changes nothing",
  rule: "2. number every request; each Ack is matched by sequence",
  async run(ctx) {
    const stream = await registered(ctx);
    stream.ack(987_654_321); // matches nothing the plugin sent
    stream.send({ $case: "onlineInquiry", value: {} });
    await train(ctx, stream);
    const sequences = stream.received.map((r) => r.sequence);
    for (let i = 0; i < sequences.length; i++) {
      const sequence = sequences[i] as number;
      if (sequence <= 0)
        fail(`request ${i + 1} (${kindOf(stream.received[i] as never)}) has sequence ${sequence}`);
      if (i > 0 && sequence <= (sequences[i - 1] as number)) {
        fail(`sequences ${sequences.join(", ")}: ${sequence} after ${sequences[i - 1]}`);
      }
    }
    return `sequences ${sequences.join(", ")}`;
  },
};

const answersInquiries: Scenario = {
  name: "answers-inquiries",
  expected: "an OnlineReport for each OnlineInquiry, within 2 s",
  rule: "3. answer every OnlineInquiry",
  async run(ctx) {
    const stream = await registered(ctx);
    for (let i = 1; i <= 3; i++) {
      stream.send({ $case: "onlineInquiry", value: {} });
      const want = 1 + i;
      await waitFor(
        ctx,
        () => stream.of("onlineReport").length >= want,
        `OnlineReport answering inquiry ${i}`,
        2_000,
      );
    }
    return "3 inquiries, 3 OnlineReports";
  },
};

const trains: Scenario = {
  name: "trains",
  expected:
    "the training set downloaded, then DataReport, TrainingStart, ModelName (or an ErrorReport)",
  rule: "4. TrainingData: download, DataReport, TrainingStart, ModelName",
  async run(ctx) {
    const stream = await registered(ctx);
    await train(ctx, stream);
    const kinds = reports(stream);
    if (stream.of("errorReport").length > 0)
      return `${kinds} (the plugin failed on the kit's training set)`;
    const notApplicable = stream.of("modelName").length === 0;
    if (notApplicable) fail(`${kinds}: not applicable to the kit's training set, nothing to check`);
    const order = stream.received.map(kindOf).filter((k) => k !== "onlineReport");
    const expected = ["dataReport", "trainingStart", "modelName"];
    if (order.join() !== expected.join()) fail(`reports in the order ${order.join(", ")}`);
    if (!ctx.core.downloads.some((d) => d.completed))
      fail(`${kinds} without downloading the training set`);
    return kinds;
  },
};

const resumesDownload: Scenario = {
  name: "resumes-download",
  expected: "a download cut with UNAVAILABLE is resumed at the first byte not received (offset)",
  rule: "4. download the training set (DownloadDataset.offset)",
  async run(ctx) {
    ctx.core.cutDownloadsAfter = 100;
    ctx.core.cutDownloads = 1;
    const stream = await registered(ctx);
    await train(ctx, stream);
    const offsets = ctx.core.downloads.map((d) => d.offset);
    if (offsets.length < 2)
      fail(`${reports(stream)} after one download cut at byte 100 (offsets ${offsets.join(", ")})`);
    if (offsets[1] !== 100)
      fail(`downloads at offsets ${offsets.join(", ")}: restarted, not resumed at 100`);
    if (stream.of("modelName").length === 0) fail(`${reports(stream)} after the resumed download`);
    return `downloads at offsets ${offsets.join(", ")}, then ${reports(stream)}`;
  },
};

const ignoresRepeatedTrainingData: Scenario = {
  name: "ignores-repeated-training-data",
  expected: "one DataReport and one ModelName for a TrainingData sent three times",
  rule: "5. a TrainingData may come twice: ignore one you already handle",
  async run(ctx) {
    const stream = await registered(ctx);
    stream.send({ $case: "trainingData", value: trainingData() });
    await train(ctx, stream);
    stream.send({ $case: "trainingData", value: trainingData() }); // after the job ended too
    stream.send({ $case: "onlineInquiry", value: {} });
    await waitFor(
      ctx,
      () => stream.of("onlineReport").length >= 2,
      "OnlineReport after the repeats",
    );
    await settle(ctx, 2_000);
    const dataReports = stream.of("dataReport").length;
    const ends = stream.of("modelName").length + stream.of("errorReport").length;
    if (dataReports !== 1 || ends !== 1) fail(`${reports(stream)}: the job ran more than once`);
    return reports(stream);
  },
};

const resendsAfterCut: Scenario = {
  name: "resends-after-cut",
  expected:
    "after a cut stream: reconnect, OnlineReport first, then exactly the reports that had no Ack, in order",
  rule: "5. on a dropped stream, reconnect, register again and re-send every unacked report",
  async run(ctx) {
    ctx.core.policy.current = (_s, r) =>
      kindOf(r) === "trainingStart" ? undefined : { code: status.OK };
    const first = await registered(ctx);
    first.send({ $case: "trainingData", value: trainingData() });
    await waitFor(
      ctx,
      () => first.of("trainingStart").length > 0,
      "TrainingStart (held without an Ack)",
    );
    await settle(ctx, 300); // anything sent after the held report stays unacked too
    const unacked = first.received.filter(
      (r) => kindOf(r) !== "onlineReport" && kindOf(r) !== "dataReport",
    );
    ctx.core.policy.current = () => ({ code: status.OK });
    first.end(status.UNAVAILABLE, "the training core is shutting down");
    const second = await registered(ctx, 2);
    const sentAgain = () => second.received.filter((r) => kindOf(r) !== "onlineReport");
    const kinds = unacked.map(kindOf).join(", ");
    await waitFor(
      ctx,
      () => sentAgain().length >= unacked.length,
      `re-send of ${kinds} on the new stream`,
    );
    const resent = sentAgain().slice(0, unacked.length);
    const same = unacked.every(
      (r, i) => JSON.stringify(r.message) === JSON.stringify(resent[i]?.message),
    );
    if (second.of("dataReport").length > 0)
      fail(`re-sent the acked DataReport: ${reports(second)}`);
    if (!same) fail(`unacked: ${kinds}; re-sent on the new stream: ${reports(second)}`);
    await waitFor(ctx, () => jobEnded(second), "the job's end on the new stream");
    return `unacked ${unacked.map(kindOf).join(", ")}; new stream: ${reports(second)}`;
  },
};

const retriesUnavailable: Scenario = {
  name: "retries-unavailable",
  expected: "a report acked UNAVAILABLE is sent again later, until stored",
  rule: "Ack 14 UNAVAILABLE: send the report again later",
  async run(ctx) {
    let refusals = 2;
    ctx.core.policy.current = (_s, r) => {
      if (kindOf(r) === "dataReport" && refusals > 0) {
        refusals--;
        return { code: status.UNAVAILABLE, message: "the database could not be reached" };
      }
      return { code: status.OK };
    };
    const stream = await registered(ctx);
    stream.send({ $case: "trainingData", value: trainingData() });
    const resent = () => stream.of("dataReport").length >= 3;
    await ctx.core.until(() => resent() || !ctx.plugin.running, ctx.stepMs);
    if (!resent()) {
      const sent = stream.of("dataReport").length;
      fail(`DataReport sent ${sent}× for 2 UNAVAILABLE acks, then ${reports(stream)}`);
    }
    await waitFor(ctx, () => jobEnded(stream), "ModelName, ErrorReport or DataReport");
    return `DataReport sent 3×, then ${reports(stream)}`;
  },
};

const stopsOnRefusal: Scenario = {
  name: "stops-on-refusal",
  expected: "a report refused with FAILED_PRECONDITION, or with NOT_FOUND, is not sent again",
  rule: "Ack 9 FAILED_PRECONDITION / 5 NOT_FOUND: do not retry",
  async run(ctx) {
    const other = { ...trainingData(), pluginId: trainingData().pluginId + 1 };
    const pluginIdOf = (r: ConnectRequest) =>
      r.message && "pluginId" in r.message.value ? r.message.value.pluginId : undefined;
    ctx.core.policy.current = (_s, r) => {
      if (kindOf(r) === "trainingStart" && pluginIdOf(r) !== other.pluginId)
        return { code: status.FAILED_PRECONDITION, message: "the membership is TRAINED" };
      if (kindOf(r) === "dataReport" && pluginIdOf(r) === other.pluginId)
        return { code: status.NOT_FOUND, message: `plugin ${other.pluginId} is not in project 1` };
      return { code: status.OK };
    };
    const stream = await registered(ctx);
    stream.send({ $case: "trainingData", value: trainingData() });
    await waitFor(ctx, () => stream.of("trainingStart").length > 0, "TrainingStart");
    const refusedData = () =>
      stream.of("dataReport").filter((r) => pluginIdOf(r) === other.pluginId);
    stream.send({ $case: "trainingData", value: other });
    await waitFor(
      ctx,
      () => refusedData().length > 0,
      `DataReport for plugin_id ${other.pluginId} (a second TrainingData)`,
    );
    await settle(ctx, 3_000);
    const sent = stream.of("trainingStart").length;
    if (sent > 1) fail(`TrainingStart sent ${sent}× in 3 s after FAILED_PRECONDITION`);
    const sentData = refusedData().length;
    if (sentData > 1)
      fail(`DataReport for plugin_id ${other.pluginId} sent ${sentData}× in 3 s after NOT_FOUND`);
    return reports(stream);
  },
};

const slowAcks: Scenario = {
  name: "slow-acks",
  expected: "stays on its stream while every Ack takes 3 s, and finishes the job",
  rule: "2. an Ack comes after the report committed: wait for it",
  async run(ctx) {
    ctx.core.policy.current = (stream, r) => {
      if (kindOf(r) === "onlineReport") return { code: status.OK };
      setTimeout(() => stream.ack(r.sequence), 3_000);
      return undefined;
    };
    const stream = await registered(ctx);
    stream.send({ $case: "trainingData", value: trainingData() });
    const reconnected = () => ctx.core.streams.length > 1;
    await ctx.core.until(
      () => jobEnded(stream) || reconnected() || !ctx.plugin.running,
      ctx.stepMs,
    );
    if (!reconnected())
      await waitFor(ctx, () => jobEnded(stream), "ModelName, ErrorReport or DataReport");
    if (!reconnected()) await settle(ctx, 3_500); // the last Ack arrives
    if (ctx.core.streams.length > 1)
      fail(`reconnected ${ctx.core.streams.length - 1}× while acks were slow`);
    return reports(stream);
  },
};

const answersPrescriptions: Scenario = {
  name: "answers-prescriptions",
  expected:
    "with prescribes: every running case answered once, in parts ending with last; a repeated request answered once",
  rule: "PrescriptionRequest: PrescriptionResult parts, the final one with last",
  async run(ctx) {
    const stream = await registered(ctx);
    if (!prescribes(stream)) return new Skip("the plugin does not set prescribes");
    const modelName = await train(ctx, stream);
    if (!modelName) fail(`no model to prescribe with: ${reports(stream)}`);
    stream.send({ $case: "prescriptionRequest", value: prescriptionRequest(modelName) });
    const parts = () =>
      stream
        .of("prescriptionResult")
        .map((r) => (r.message?.$case === "prescriptionResult" ? r.message.value : undefined));
    await waitFor(
      ctx,
      () => parts().some((p) => p?.last) || stream.of("prescriptionError").length > 0,
      "PrescriptionResult with last",
    );
    if (stream.of("prescriptionError").length > 0)
      fail("a PrescriptionError for the kit's running cases");
    stream.send({ $case: "prescriptionRequest", value: prescriptionRequest(modelName) });
    stream.send({ $case: "onlineInquiry", value: {} });
    await waitFor(
      ctx,
      () => stream.of("onlineReport").length >= 2,
      "OnlineReport after the repeat",
    );
    await settle(ctx, 1_500);
    const answered = parts().flatMap((p) => p?.prescriptions.map((c) => c.caseId) ?? []);
    const lasts = parts().filter((p) => p?.last).length;
    const summary = `${parts().length} parts, cases ${answered.join(", ")}`;
    if (lasts !== 1) fail(`${summary}; ${lasts} parts with last`);
    if (
      answered.length !== runningCaseIds.length ||
      runningCaseIds.some((id) => !answered.includes(id))
    ) {
      fail(`${summary}; expected each of ${runningCaseIds.join(", ")} once`);
    }
    return summary;
  },
};

const answersCasePrefixes: Scenario = {
  name: "answers-case-prefixes",
  expected:
    "with prescribes: each case-prefix request answered once, by one PrescriptionResult with last holding that one case (or a PrescriptionError)",
  rule: "live PrescriptionRequest (case_prefix): one PrescriptionResult, last, the request's case",
  async run(ctx) {
    const stream = await registered(ctx);
    if (!prescribes(stream)) return new Skip("the plugin does not set prescribes");
    const modelName = await train(ctx, stream);
    if (!modelName) fail(`no model to prescribe with: ${reports(stream)}`);
    const first = casePrefixRequest(modelName, "conformance-live-1", "live-a", ["register"]);
    const other = casePrefixRequest(modelName, "conformance-live-2", "live-b", ["register"]);
    const next = casePrefixRequest(modelName, "conformance-live-3", "live-a", [
      "register",
      "check",
    ]);
    const requests = [first, other, next];
    const answers = (requestId: string) =>
      stream.received.flatMap((r) =>
        (r.message?.$case === "prescriptionResult" || r.message?.$case === "prescriptionError") &&
        r.message.value.requestId === requestId
          ? [r.message]
          : [],
      );
    const done = (requestId: string) =>
      answers(requestId).some(
        (a) =>
          a.$case === "prescriptionError" || (a.$case === "prescriptionResult" && a.value.last),
      );
    const ask = async (...sent: PrescriptionRequest[]) => {
      for (const request of sent) stream.send({ $case: "prescriptionRequest", value: request });
      const ids = sent.map((r) => r.requestId).join(" and ");
      await waitFor(
        ctx,
        () => sent.every((r) => done(r.requestId)),
        `PrescriptionResult with last (or PrescriptionError) for ${ids}`,
      );
    };
    await ask(first, other); // two cases at once
    await ask(next); // the same case again, after its first answer
    stream.send({ $case: "prescriptionRequest", value: first }); // a redelivery
    stream.send({ $case: "onlineInquiry", value: {} });
    await waitFor(
      ctx,
      () => stream.of("onlineReport").length >= 2,
      "OnlineReport after the repeat",
    );
    await settle(ctx, 1_500);
    const seen: string[] = [];
    for (const request of requests) {
      const caseId = request.input?.$case === "casePrefix" ? request.input.value.caseId : "";
      const got = answers(request.requestId);
      if (got.length !== 1) fail(`${request.requestId} (case ${caseId}) answered ${got.length}×`);
      const answer = got[0];
      if (answer?.$case === "prescriptionError") {
        seen.push(`${request.requestId}: PrescriptionError`);
        continue;
      }
      const cases = answer?.$case === "prescriptionResult" ? answer.value.prescriptions : [];
      const ids = cases.map((c) => c.caseId).join(", ") || "no case";
      if (answer?.$case === "prescriptionResult" && !answer.value.last)
        fail(`${request.requestId}: a PrescriptionResult without last`);
      if (cases.length !== 1 || cases[0]?.caseId !== caseId)
        fail(`${request.requestId} for case ${caseId} answered with ${ids}`);
      seen.push(`${request.requestId}: ${ids}`);
    }
    return seen.join("; ");
  },
};

const stopsOnSigterm: Scenario = {
  name: "stops-on-sigterm",
  expected: "exits with code 0 within 5 s of SIGTERM",
  rule: "shutdown: SIGTERM ends the plugin cleanly",
  async run(ctx) {
    const stream = await registered(ctx);
    const sentAt = Date.now();
    ctx.plugin.signal("SIGTERM");
    await ctx.core.until(() => !ctx.plugin.running, 5_000);
    if (ctx.plugin.running) fail("still running 5 s after SIGTERM");
    const ms = Date.now() - sentAt;
    if (ctx.plugin.exit?.code !== 0) fail(`${ctx.plugin.describeExit()} after SIGTERM`);
    return `exited with code 0 after ${ms} ms${stream.halfClosed ? ", stream half-closed" : ""}`;
  },
};

export const scenarios: readonly Scenario[] = [
  registersFirst,
  numbersRequests,
  answersInquiries,
  trains,
  resumesDownload,
  ignoresRepeatedTrainingData,
  resendsAfterCut,
  retriesUnavailable,
  stopsOnRefusal,
  slowAcks,
  answersPrescriptions,
  answersCasePrefixes,
  stopsOnSigterm,
];
