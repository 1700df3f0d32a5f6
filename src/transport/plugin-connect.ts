/**
 * PluginService.Connect: registers the stream from its first OnlineReport, then answers every
 * request with one Ack, in order, once its effect committed. A bad report gets a non-zero Ack
 * and never ends the stream; only a stream that does not start with a valid OnlineReport does.
 */
import { status as grpcStatus, type ServerDuplexStream } from "@grpc/grpc-js";
import type { ChangeFeed } from "../app/change-feed.js";
import type { Dispatcher } from "../app/dispatcher.js";
import { type ErrorCode, toAppError } from "../app/errors.js";
import type { GroupCommitter } from "../app/group-commit.js";
import type { CoreMetrics } from "../app/metrics.js";
import {
  checkIdentity,
  type PluginIdentity,
  recordOnlineReport,
} from "../app/plugin-registration.js";
import { applyReport, type ReportInput } from "../app/plugin-reports.js";
import type { PluginSession, PluginSessions } from "../app/plugin-sessions.js";
import type { PhaseTimeouts } from "../domain/deadlines.js";
import type {
  ConnectRequest,
  ConnectResponse,
  OnlineReport,
} from "../gen/trainingcore/v1/plugin_service.js";
import type { Logger } from "../logger.js";
import { registrationRefusal } from "./auth.js";
import { grpcCodeOf } from "./grpc-errors.js";
import type { OpenStreams } from "./open-streams.js";
import { StreamWriter } from "./stream-writer.js";

export interface PluginConnectDeps {
  readonly committer: GroupCommitter;
  readonly feed: ChangeFeed;
  readonly sessions: PluginSessions;
  readonly dispatcher: Dispatcher;
  readonly openStreams: OpenStreams;
  readonly logger: Logger;
  readonly timeouts: PhaseTimeouts;
  /** Message, ack and stream counts; optional for tests. */
  readonly metrics?: CoreMetrics;
}

type Call = ServerDuplexStream<ConnectRequest, ConnectResponse>;

/** Requests read ahead of their acks; past this the stream is not read until acks catch up. */
const maxUnackedRequests = 64;
let nextSessionId = 1;

function identityOf(report: OnlineReport): PluginIdentity {
  return {
    key: report.id,
    name: report.name,
    type: report.type,
    description: report.description,
    parameters: report.parameters ?? {},
  };
}

function ackOf(sequence: number, code: ErrorCode | "OK", message = ""): ConnectResponse {
  const numeric = code === "OK" ? grpcStatus.OK : grpcCodeOf[code];
  return { message: { $case: "ack", value: { sequence, code: numeric, message } } };
}

function reportInputOf(request: ConnectRequest): ReportInput | undefined {
  const message = request.message;
  switch (message?.$case) {
    case "dataReport":
      return {
        ...ids(message.value),
        report: { kind: "data", applicable: message.value.applicable },
      };
    case "trainingStart":
      return { ...ids(message.value), report: { kind: "training-start" } };
    case "modelName":
      return {
        ...ids(message.value),
        report: { kind: "model-name", modelName: message.value.modelName },
      };
    case "errorReport":
      return { ...ids(message.value), report: { kind: "error", detail: message.value.detail } };
    default:
      return undefined;
  }
}

/** The metric label of a request's message: its oneof case in snake_case. */
const requestKinds: Record<string, string> = {
  onlineReport: "online_report",
  dataReport: "data_report",
  trainingStart: "training_start",
  modelName: "model_name",
  errorReport: "error_report",
};

function kindOf(request: ConnectRequest): string {
  const kase = request.message?.$case;
  return kase === undefined ? "empty" : (requestKinds[kase] ?? "other");
}

function ids(value: { projectId: number; pluginId: number }) {
  return { projectId: value.projectId, pluginId: value.pluginId };
}

function endWith(call: Call, code: grpcStatus, details: string): void {
  call.emit("error", { code, details, message: details });
}

/**
 * Stores OnlineReports: one that repeats the identity last stored for its key within
 * `windowMs` shares that write (waits for it when it is still running) instead of writing
 * again. Registrations and inquiry answers of many instances of one key then cost one write a
 * second, not one each (10,000 instances answering every interval would saturate the store);
 * `last_seen` is at most that much older. A failed write is not shared with later reports.
 */
class OnlineReportWrites {
  private readonly last = new Map<
    string,
    { identity: string; atMs: number; write: Promise<void> }
  >();

  constructor(
    private readonly committer: GroupCommitter,
    private readonly windowMs = 1000,
  ) {}

  record(identity: PluginIdentity): Promise<void> {
    const json = JSON.stringify(identity);
    const nowMs = Date.now();
    const previous = this.last.get(identity.key);
    if (previous && previous.identity === json && nowMs - previous.atMs < this.windowMs) {
      return previous.write;
    }
    const entry = {
      identity: json,
      atMs: nowMs,
      write: recordOnlineReport(this.committer, identity),
    };
    this.last.set(identity.key, entry);
    entry.write.catch(() => {
      if (this.last.get(identity.key) === entry) this.last.delete(identity.key);
    });
    return entry.write;
  }
}

/**
 * Sends the OnlineInquiries of a round a slice at a time, one slice per turn of the event loop,
 * so that a round to 10,000 streams (one socket write each) does not hold the loop for a second
 * and more: other calls are served between slices.
 */
class InquiryPacer {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly slice = 200) {}

  send(write: () => void): void {
    this.queue.push(write);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    for (const write of this.queue.splice(0, this.slice)) write();
    if (this.queue.length > 0) setImmediate(() => this.drain());
    else this.scheduled = false;
  }
}

export function createConnectHandler(deps: PluginConnectDeps) {
  const onlineReports = new OnlineReportWrites(deps.committer);
  const inquiries = new InquiryPacer();
  return (call: Call): void => {
    void new PluginStream(call, deps, onlineReports, inquiries).run();
  };
}

class PluginStream {
  private readonly writer: StreamWriter<ConnectResponse>;
  private session: PluginSession | undefined;
  private log: Logger;
  private acks: Promise<void> = Promise.resolve();
  private unacked = 0;

  constructor(
    private readonly call: Call,
    private readonly deps: PluginConnectDeps,
    private readonly onlineReports: OnlineReportWrites,
    private readonly inquiries: InquiryPacer,
  ) {
    this.writer = new StreamWriter(call);
    this.log = deps.logger.child({ peer: call.getPeer() });
  }

  async run(): Promise<void> {
    const forget = this.deps.openStreams.add(this.call);
    try {
      // destroyOnReturn: false, or the iterator destroys the call when the client half-closes,
      // and the client never receives its status.
      const requests = this.call.iterator({
        destroyOnReturn: false,
      }) as AsyncIterable<ConnectRequest>;
      for await (const request of requests) {
        const receivedMs = performance.now();
        this.deps.metrics?.messageReceived(kindOf(request));
        if (!this.session) {
          if (!(await this.register(request, receivedMs))) return;
          continue;
        }
        this.enqueueAck(request.sequence, this.answer(this.session, request), receivedMs);
        if (++this.unacked >= maxUnackedRequests) await this.acks;
      }
      await this.acks;
      if (this.writer.isOpen) this.call.end();
    } catch (error) {
      if (this.writer.isOpen) this.log.warn({ err: error }, "plugin stream failed");
    } finally {
      forget();
      if (this.session) {
        this.deps.sessions.remove(this.session);
        this.deps.dispatcher.sessionClosed(this.session);
        this.deps.metrics?.streamClosed(this.session.key);
        this.log.info("plugin disconnected");
      }
    }
  }

  /** Handles the first request; false when the stream was ended. */
  private async register(request: ConnectRequest, receivedMs: number): Promise<boolean> {
    if (request.message?.$case !== "onlineReport") {
      endWith(
        this.call,
        grpcStatus.INVALID_ARGUMENT,
        "the first message on Connect must be an OnlineReport",
      );
      return false;
    }
    const identity = identityOf(request.message.value);
    const problem = checkIdentity(identity);
    if (problem) {
      endWith(this.call, grpcStatus.INVALID_ARGUMENT, problem);
      return false;
    }
    // A plugin token (or client certificate) registers only the plugin key it stands for.
    const refusal = registrationRefusal(this.call, identity.key);
    if (refusal) {
      endWith(this.call, grpcStatus.PERMISSION_DENIED, refusal);
      return false;
    }
    try {
      await this.onlineReports.record(identity);
    } catch (error) {
      const appError = toAppError(error);
      this.log.error({ err: error, key: identity.key }, "could not register plugin");
      endWith(this.call, grpcCodeOf[appError.code], appError.message);
      return false;
    }
    const session = this.createSession(identity.key);
    this.session = session;
    this.log = this.log.child({ key: identity.key, sessionId: session.id });
    this.deps.sessions.add(session);
    this.deps.metrics?.streamRegistered(session.key);
    await this.writer.write(ackOf(request.sequence, "OK"));
    this.deps.metrics?.messageSent("ack");
    this.deps.metrics?.ackWritten(grpcStatus.OK, receivedMs);
    this.log.info("plugin connected");
    this.replay(session);
    return true;
  }

  private replay(session: PluginSession): void {
    this.deps.dispatcher.sessionReady(session);
  }

  private createSession(key: string): PluginSession {
    const writer = this.writer;
    const metrics = this.deps.metrics;
    const inquiries = this.inquiries;
    return {
      id: nextSessionId++,
      key,
      lastAnswerMs: Date.now(),
      sendTrainingData: (data) => {
        metrics?.messageSent("training_data");
        return writer.write({ message: { $case: "trainingData", value: data } });
      },
      sendOnlineInquiry: () =>
        inquiries.send(() => {
          if (!writer.isOpen) return;
          metrics?.messageSent("online_inquiry");
          writer.write({ message: { $case: "onlineInquiry", value: {} } }).catch(() => {});
        }),
    };
  }

  private enqueueAck(sequence: number, answer: Promise<ConnectResponse>, receivedMs: number): void {
    this.acks = this.acks.then(async () => {
      const ack = await answer.catch((error: unknown) => {
        const appError = toAppError(error);
        this.log.error({ err: error }, "report failed");
        return ackOf(sequence, appError.code, appError.message);
      });
      this.unacked--;
      if (!this.writer.isOpen) return;
      await this.writer.write(ack);
      if (ack.message?.$case === "ack") {
        this.deps.metrics?.messageSent("ack");
        this.deps.metrics?.ackWritten(ack.message.value.code, receivedMs);
      }
    });
  }

  private async answer(session: PluginSession, request: ConnectRequest): Promise<ConnectResponse> {
    const { sequence, message } = request;
    if (message?.$case === "onlineReport")
      return this.answerOnlineReport(session, sequence, message.value);
    const input = reportInputOf(request);
    if (!input) return ackOf(sequence, "INVALID_ARGUMENT", "ConnectRequest carries no report");
    const { committer } = this.deps;
    const result = await committer.run(
      (ctx) => applyReport(ctx, this.deps, session.key, input, Date.now()),
      input.projectId > 0 ? [input.projectId] : [],
    );
    if (result.code === "OK") {
      if (result.changed) {
        this.log.info(
          { projectId: input.projectId, pluginId: input.pluginId, report: input.report.kind },
          "report stored",
        );
      }
      return ackOf(sequence, "OK");
    }
    this.log.info(
      {
        projectId: input.projectId,
        pluginId: input.pluginId,
        code: result.code,
        reason: result.message,
      },
      "report refused",
    );
    return ackOf(sequence, result.code, result.message);
  }

  private async answerOnlineReport(
    session: PluginSession,
    sequence: number,
    report: OnlineReport,
  ): Promise<ConnectResponse> {
    if (report.id !== session.key) {
      return ackOf(
        sequence,
        "PERMISSION_DENIED",
        `this stream is registered as "${session.key}"; it cannot report as "${report.id}"`,
      );
    }
    const identity = identityOf(report);
    const problem = checkIdentity(identity);
    if (problem) return ackOf(sequence, "INVALID_ARGUMENT", problem);
    await this.onlineReports.record(identity);
    const nowMs = Date.now();
    const wasOffline = !this.deps.sessions.isOnline(session, nowMs);
    session.lastAnswerMs = nowMs;
    // Back from being offline: anything that waited for an online instance goes out now.
    if (wasOffline) this.replay(session);
    return ackOf(sequence, "OK");
  }
}
