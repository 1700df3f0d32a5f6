/**
 * Runs `onPrescription` for every new prescription request: at most `concurrency` at a time,
 * the rest waiting in arrival order. A request that is queued, running or finished recently is
 * a redelivery and is ignored (the parts it sent are re-sent by the outbox after a reconnect).
 * Answers are buffered into parts of `partSize` cases; the final part (`last`) goes when the
 * handler returns, a PrescriptionError when it throws. A handler stopped by a shutdown answers
 * nothing more: the core hands the request to another instance.
 */
import type { Logger } from "pino";
import type { PrescriptionRequest } from "../gen/trainingcore/v1/plugin_service.js";
import type { CasePrescription } from "../gen/trainingcore/v1/prescription.js";
import { definitionFromProto } from "./definition.js";
import type { ReportKind } from "./errors.js";
import type { Report } from "./link.js";
import { RecentSet } from "./recent-set.js";
import { casesOf } from "./running-cases.js";
import { settlesWithin } from "./timing.js";
import type {
  Prescription,
  PrescriptionContext,
  PrescriptionHandler,
  PrescriptionJob,
  RunningCase,
} from "./types.js";

export interface PrescriptionRunnerDeps {
  readonly handler: PrescriptionHandler;
  readonly concurrency: number;
  readonly partSize: number;
  readonly submit: (
    kind: ReportKind,
    pluginId: number,
    message: Report,
    orderKey: string,
  ) => Promise<void>;
  readonly download: (name: string, signal: AbortSignal) => AsyncIterable<Buffer>;
  /** The membership's model stored in the core (downloaded once per run, then cached). */
  readonly model: (projectId: number, pluginId: number, signal: AbortSignal) => Promise<Buffer>;
  readonly logger: Logger;
}

/** Request ids of finished requests remembered to ignore redeliveries. */
const rememberedRequests = 10_000;
const maxDetailLength = 4_000;
/** Parts on their way (sent, not acked) before `answer` waits. */
const maxPartsInFlight = 4;

function requestOf(message: PrescriptionRequest): PrescriptionJob {
  const definition = definitionFromProto(message.definition);
  const live = message.input?.$case === "casePrefix" ? message.input.value : undefined;
  return {
    requestId: message.requestId,
    projectId: message.projectId,
    pluginId: message.pluginId,
    modelName: message.modelName,
    datasetName: message.input?.$case === "datasetName" ? message.input.value : "",
    ...(live && { case: { caseId: live.caseId, events: live.events.map(eventOf) } }),
    parameters: message.parameters ?? {},
    additionalInfo: message.additionalInfo ?? {},
    ...(definition && { definition }),
  };
}

/**
 * A case-prefix event (a Struct of strings) as the CSV would hold it. The decoded Struct is ours
 * and usually holds only non-empty strings already: then it is the event itself.
 */
function eventOf(struct: Record<string, unknown> | undefined): Record<string, string> {
  if (struct === undefined) return {};
  for (const column in struct) {
    const value = struct[column];
    if (typeof value !== "string" || value === "") return copiedEventOf(struct);
  }
  return struct as Record<string, string>;
}

function copiedEventOf(struct: Record<string, unknown>): Record<string, string> {
  const event: Record<string, string> = {};
  for (const [column, value] of Object.entries(struct)) {
    if (value !== null && value !== undefined && value !== "") event[column] = String(value);
  }
  return event;
}

async function* oneCase(running: RunningCase): AsyncGenerator<RunningCase> {
  yield running;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return (text || "onPrescription failed").slice(0, maxDetailLength);
}

function toProto(caseId: string, p: Prescription): CasePrescription {
  return {
    caseId,
    prescription: {
      type: p.type,
      output: p.output === undefined ? null : p.output,
      detail: p.detail ?? "",
      model: p.model ?? {},
    },
  };
}

/** One request's answer: its buffered cases and the parts on their way. */
class Answer {
  private buffer: CasePrescription[] = [];
  private readonly inFlight: Promise<void>[] = [];
  private refusal: unknown;
  final = false;

  constructor(
    private readonly request: PrescriptionJob,
    private readonly deps: PrescriptionRunnerDeps,
  ) {}

  async add(caseId: string, prescription: Prescription): Promise<void> {
    if (this.refusal) throw this.refusal;
    if (this.final) throw new Error(`request ${this.request.requestId} was answered already`);
    this.buffer.push(toProto(caseId, prescription));
    if (this.buffer.length >= this.deps.partSize) this.sendPart(false);
    while (this.inFlight.length > maxPartsInFlight) await this.inFlight[0];
    if (this.refusal) throw this.refusal;
  }

  /** Sends what is buffered (with `last`: even nothing). */
  sendPart(last: boolean): void {
    if (!last && this.buffer.length === 0) return;
    const prescriptions = this.buffer;
    this.buffer = [];
    const { requestId, pluginId } = this.request;
    this.track(
      this.deps.submit(
        "prescriptions",
        pluginId,
        { $case: "prescriptionResult", value: { requestId, prescriptions, last } },
        requestId,
      ),
    );
  }

  sendError(detail: string): void {
    const { requestId, pluginId } = this.request;
    this.track(
      this.deps.submit(
        "prescription-error",
        pluginId,
        {
          $case: "prescriptionError",
          value: { requestId, detail: detail.slice(0, maxDetailLength) },
        },
        requestId,
      ),
    );
  }

  /** Resolves once every part sent was acked; rejects with the first refusal. */
  async settled(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight[0];
    if (this.refusal) throw this.refusal;
  }

  private track(sent: Promise<void>): void {
    const tracked: Promise<void> = sent
      .catch((error: unknown) => {
        this.refusal ??= error;
      })
      .finally(() => {
        this.inFlight.splice(this.inFlight.indexOf(tracked), 1);
      });
    this.inFlight.push(tracked);
  }
}

export class PrescriptionRunner {
  private readonly queue: PrescriptionJob[] = [];
  private readonly active = new Set<string>();
  private readonly finished = new RecentSet<string>(rememberedRequests);
  /** Every started request until its answer was acked (or given up). */
  private readonly running = new Map<string, Promise<void>>();
  /** Handlers running now: a request whose handler returned waits for its acks outside. */
  private handling = 0;
  private readonly stopping = new AbortController();

  constructor(private readonly deps: PrescriptionRunnerDeps) {}

  /** Takes a PrescriptionRequest: starts or queues it, unless it is a redelivery. */
  offer(message: PrescriptionRequest): void {
    const { requestId } = message;
    if (this.stopping.signal.aborted) return;
    if (this.active.has(requestId) || this.finished.has(requestId)) {
      this.deps.logger.debug({ requestId }, "ignoring a repeated PrescriptionRequest");
      return;
    }
    this.active.add(requestId);
    this.queue.push(requestOf(message));
    this.pump();
  }

  /** Drops queued requests, aborts running ones and waits for them, at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping.abort();
    for (const request of this.queue.splice(0)) this.active.delete(request.requestId);
    await settlesWithin(Promise.allSettled(this.running.values()), timeoutMs);
  }

  private pump(): void {
    while (this.handling < this.deps.concurrency && !this.stopping.signal.aborted) {
      const request = this.queue.shift();
      if (!request) return;
      this.handling++;
      let released = false;
      // The next request may start once this one's handler is done and its answer submitted:
      // waiting for the core's Ack must not hold a slot (it is a commit away).
      const release = () => {
        if (released) return;
        released = true;
        this.handling--;
        this.pump();
      };
      const done = this.execute(request, release).finally(() => {
        this.running.delete(request.requestId);
        this.active.delete(request.requestId);
        this.finished.add(request.requestId);
        release();
      });
      this.running.set(request.requestId, done);
    }
  }

  /** Runs the handler, calls `release` once it is done with the request, then awaits the acks. */
  private async execute(request: PrescriptionJob, release: () => void): Promise<void> {
    // A child logger per request costs more than a live request's answer: made only when used.
    let requestLogger: Logger | undefined;
    const logger = () =>
      (requestLogger ??= this.deps.logger.child({
        projectId: request.projectId,
        pluginId: request.pluginId,
        requestId: request.requestId,
      }));
    const answer = new Answer(request, this.deps);
    const signal = this.stopping.signal;
    const ctx: PrescriptionContext = {
      signal,
      cases: () =>
        request.case
          ? oneCase(request.case)
          : casesOf(this.deps.download(request.datasetName, signal)),
      answer: (caseId, prescription) => answer.add(caseId, prescription),
      fail: async (detail) => {
        if (answer.final) throw new Error(`request ${request.requestId} was answered already`);
        answer.sendPart(false);
        answer.final = true;
        answer.sendError(detail);
        await answer.settled();
      },
      model: () => this.deps.model(request.projectId, request.pluginId, signal),
    };
    // Live requests come by the thousand: their progress is debug.
    const level = request.case ? "debug" : "info";
    const progress = this.deps.logger.isLevelEnabled(level);
    if (progress) logger()[level]("prescription request started");
    try {
      await this.deps.handler(request, ctx);
      if (!answer.final) {
        answer.final = true;
        answer.sendPart(true);
      }
      release();
      await answer.settled();
      if (progress) logger()[level]("prescription request answered");
    } catch (error) {
      if (signal.aborted) {
        logger().info("prescription request left for the core to hand out again (stopping)");
        return;
      }
      if (answer.final) {
        logger().warn({ err: error }, "prescription request failed after its final answer");
        return;
      }
      logger().warn({ err: error }, "onPrescription failed");
      answer.sendPart(false);
      answer.final = true;
      answer.sendError(messageOf(error));
      release();
      await answer.settled().catch((refused: unknown) => {
        logger().warn({ err: refused }, "could not report the failure");
      });
    }
  }
}
