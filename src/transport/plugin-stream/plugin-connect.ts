/**
 * PluginService.Connect: registers the stream from its first OnlineReport, then answers every
 * request with one Ack, in order, once its effect committed. A bad report gets a non-zero Ack
 * and never ends the stream; only a stream that does not start with a valid OnlineReport does.
 */
import { status as grpcStatus, type ServerDuplexStream } from "@grpc/grpc-js";
import type { ChangeFeed } from "../../app/change-feed/change-feed.js";
import type { Dispatcher } from "../../app/dispatch/dispatcher.js";
import type { CoreMetrics } from "../../app/metrics/core-metrics.js";
import { checkIdentity, type PluginIdentity } from "../../app/plugins/online-report-checks.js";
import { OnlineReportWrites } from "../../app/plugins/online-report-writes.js";
import type { PluginSession, PluginSessions } from "../../app/plugins/plugin-sessions.js";
import {
  type AnswerResult,
  applyPrescriptionAnswer,
  type PrescriptionAnswer,
} from "../../app/prescriptions/request-answers.js";
import type { GroupCommitter } from "../../app/reports/group-commit.js";
import type { PhaseTimeouts } from "../../domain/deadlines.js";
import { AppError } from "../../domain/errors.js";
import type {
  ConnectRequest,
  ConnectResponse,
  OnlineReport,
} from "../../gen/trainingcore/v1/plugin_service.js";
import type { Logger } from "../../logger.js";
import { authorizeRegistration } from "../auth/authenticated-services.js";
import { endCall, grpcStatusOf, toGrpcStatus } from "../grpc-errors.js";
import type { OpenStreams } from "../open-streams.js";
import { StreamWriter } from "../stream-writer.js";
import { undecodableOf } from "./connect-request-decoding.js";
import { InquiryPacer } from "./inquiry-pacer.js";
import {
  ackOf,
  identityOf,
  kindOf,
  prescriptionAnswerOf,
  reportInputOf,
} from "./plugin-messages.js";
import { reportLogLine } from "./report-log-lines.js";
import { StreamSession } from "./stream-session.js";

export interface PluginConnectDeps {
  readonly committer: GroupCommitter;
  readonly feed: ChangeFeed;
  readonly sessions: PluginSessions;
  readonly dispatcher: Dispatcher;
  readonly openStreams: OpenStreams;
  readonly logger: Logger;
  readonly timeouts: PhaseTimeouts;
  /** Message, ack and stream counts. */
  readonly metrics: CoreMetrics;
  /** How long a part of a prescription answer extends its request's lease. */
  readonly leaseMs: number;
}

/** What every stream of one handler shares: the core's parts and the handler's own. */
interface PluginStreamDeps extends PluginConnectDeps {
  readonly onlineReports: OnlineReportWrites;
  readonly inquiries: InquiryPacer;
}

type Call = ServerDuplexStream<ConnectRequest, ConnectResponse>;

/** Requests read ahead of their acks; past this the stream is not read until acks catch up. */
const maxUnackedRequests = 64;
let nextSessionId = 1;
const settled = Promise.resolve();

export function createConnectHandler(deps: PluginConnectDeps) {
  const streamDeps: PluginStreamDeps = {
    ...deps,
    onlineReports: new OnlineReportWrites(deps.committer),
    inquiries: new InquiryPacer(),
  };
  return (call: Call): void => {
    new PluginStream(call, streamDeps).run();
  };
}

class PluginStream {
  private readonly writer: StreamWriter<ConnectResponse>;
  private session: PluginSession | undefined;
  /** The acks written so far, in order (one settled promise shared by every idle stream). */
  private acks: Promise<void> = settled;
  private unacked = 0;

  constructor(
    private readonly call: Call,
    private readonly deps: PluginStreamDeps,
  ) {
    this.writer = new StreamWriter(call);
  }

  /**
   * Logs one event with the stream's fields (peer, and key and session once registered). No
   * child logger per stream: an idle plugin should cost as little memory as possible.
   */
  private log(level: "debug" | "info" | "warn" | "error", fields: object, message: string): void {
    this.deps.logger[level]({ ...this.ownFields(), ...fields }, message);
  }

  /** A logger with the stream's fields, made only when a request failed (see `log`). */
  private failureLogger(fields: object = {}): Logger {
    return this.deps.logger.child({ ...this.ownFields(), ...fields });
  }

  private ownFields(): object {
    const session = this.session;
    return session
      ? { peer: this.call.getPeer(), key: session.key, sessionId: session.id }
      : { peer: this.call.getPeer() };
  }

  /** Serves the stream until it ends. (No async function: its generator would stay per stream.) */
  run(): void {
    this.deps.openStreams.add(this.call);
    this.readRequests().then(
      () => this.closed(),
      (error: unknown) => {
        if (this.writer.isOpen) this.log("warn", { err: error }, "plugin stream failed");
        this.closed();
      },
    );
  }

  private closed(): void {
    this.deps.openStreams.remove(this.call);
    if (this.session) {
      this.deps.sessions.remove(this.session);
      this.deps.dispatcher.sessionClosed(this.session);
      this.deps.metrics.streamClosed(this.session.key);
      this.log("info", {}, "plugin disconnected");
    }
  }

  /**
   * Reads requests through 'data' events, the stream paused while the registration is handled
   * or while too many requests wait for their acks; resolves when the stream is over. (An async
   * iterator would keep a generator, its promises and eight listeners for every idle stream.)
   */
  private readRequests(): Promise<void> {
    const call = this.call;
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        call.off("data", onData);
        call.off("end", onEnd);
        call.off("close", done);
        call.off("error", fail);
        resolve();
      };
      const fail = (error: unknown) => {
        done();
        reject(error);
      };
      const onData = (request: ConnectRequest) => {
        const receivedMs = performance.now();
        this.deps.metrics.messageReceived(kindOf(request));
        const problem = undecodableOf(request);
        if (problem?.fatal) {
          endCall(call, grpcStatusOf(new AppError("INVALID_ARGUMENT", problem.reason)));
          done();
          return;
        }
        if (!this.session) {
          call.pause();
          this.register(request, receivedMs).then((registered) => {
            if (registered) call.resume();
            else done();
          }, fail);
          return;
        }
        this.enqueueAck(request.sequence, this.answer(this.session, request), receivedMs);
        if (++this.unacked >= maxUnackedRequests) {
          call.pause();
          this.acks.then(() => call.resume(), fail);
        }
      };
      // The client half-closed: answer what it sent, then end with OK.
      const onEnd = () => {
        this.acks.then(() => {
          if (this.writer.isOpen) call.end();
          done();
        }, fail);
      };
      call.on("data", onData);
      call.on("end", onEnd);
      call.on("close", done);
      call.on("error", fail);
    });
  }

  /** Handles the first request; false when the stream was ended. */
  private async register(request: ConnectRequest, receivedMs: number): Promise<boolean> {
    let identity: PluginIdentity | undefined;
    try {
      identity = this.identityToRegister(request);
      await this.deps.onlineReports.record(identity);
    } catch (error) {
      endCall(this.call, toGrpcStatus(error, this.failureLogger({ key: identity?.key })));
      return false;
    }
    const session = this.createSession(identity.key);
    this.session = session;
    this.deps.sessions.add(session);
    this.deps.metrics.streamRegistered(session.key);
    await this.writer.write(ackOf(request.sequence));
    this.deps.metrics.messageSent("ack");
    this.deps.metrics.ackWritten(grpcStatus.OK, receivedMs);
    this.log("info", {}, "plugin connected");
    this.replay(session);
    return true;
  }

  /** The identity the first request registers; throws when it may not register. */
  private identityToRegister(request: ConnectRequest): PluginIdentity {
    const unreadable = undecodableOf(request);
    if (unreadable) throw new AppError("INVALID_ARGUMENT", unreadable.reason);
    if (request.message?.$case !== "onlineReport") {
      throw new AppError(
        "INVALID_ARGUMENT",
        "the first message on Connect must be an OnlineReport",
      );
    }
    const identity = identityOf(request.message.value);
    checkIdentity(identity);
    // A plugin token (or client certificate) registers only the plugin key it stands for.
    authorizeRegistration(this.call, identity.key);
    return identity;
  }

  private replay(session: PluginSession): void {
    this.deps.dispatcher.sessionReady(session);
  }

  private createSession(key: string): PluginSession {
    const { inquiries, metrics } = this.deps;
    return new StreamSession({ id: nextSessionId++, key, writer: this.writer, inquiries, metrics });
  }

  private enqueueAck(sequence: number, answer: Promise<ConnectResponse>, receivedMs: number): void {
    // Caught at once, not when its turn comes: a refusal settles before the acks ahead of it.
    const answered = answer.catch((error: unknown) =>
      ackOf(sequence, toGrpcStatus(error, this.failureLogger())),
    );
    this.acks = this.acks.then(async () => {
      const ack = await answered;
      this.unacked--;
      if (!this.writer.isOpen) return;
      try {
        await this.writer.write(ack);
      } catch (error) {
        // The stream closed while the ack waited for room: the plugin re-sends what it did not
        // see acked. Anything else stays an error of the chain.
        if (!this.writer.isOpen) return;
        throw error;
      }
      if (ack.message?.$case === "ack") {
        this.deps.metrics.messageSent("ack");
        this.deps.metrics.ackWritten(ack.message.value.code, receivedMs);
      }
    });
  }

  private async answer(session: PluginSession, request: ConnectRequest): Promise<ConnectResponse> {
    const { sequence, message } = request;
    const problem = undecodableOf(request);
    if (problem) throw new AppError("INVALID_ARGUMENT", problem.reason);
    if (message?.$case === "onlineReport")
      return this.answerOnlineReport(session, sequence, message.value);
    const answer = prescriptionAnswerOf(request);
    if (answer) return this.answerPrescription(session, sequence, answer);
    const input = reportInputOf(request);
    if (!input) throw new AppError("INVALID_ARGUMENT", "ConnectRequest carries no report");
    const result = await this.deps.committer.report(this.deps, session.key, input);
    const line = reportLogLine(input, result, this.deps.logger.isLevelEnabled("debug"));
    if (line) this.log(line.level, line.fields, line.message);
    return result.code === "OK" ? ackOf(sequence) : ackOf(sequence, grpcStatusOf(result));
  }

  private async answerPrescription(
    session: PluginSession,
    sequence: number,
    answer: PrescriptionAnswer,
  ): Promise<ConnectResponse> {
    const result: AnswerResult = await applyPrescriptionAnswer(this.deps, session.key, answer);
    const ids = { requestId: answer.requestId.slice(0, 100), answer: answer.kind };
    if (result.code !== "OK") {
      this.log("info", { ...ids, code: result.code, reason: result.message }, "answer refused");
      return ackOf(sequence, grpcStatusOf(result));
    }
    // Parts keep the lease of the instance answering: a long answer is not handed elsewhere.
    if (result.open) this.deps.dispatcher.renewRequest(answer.requestId, session);
    if (result.changed && !result.open && result.jobId !== "") {
      this.log("info", { ...ids, jobId: result.jobId, status: result.status }, "request finished");
    } else if (result.changed && this.deps.logger.isLevelEnabled("debug")) {
      this.log("debug", { ...ids, stored: result.stored }, "prescriptions stored");
    }
    return ackOf(sequence);
  }

  private async answerOnlineReport(
    session: PluginSession,
    sequence: number,
    report: OnlineReport,
  ): Promise<ConnectResponse> {
    if (report.id !== session.key) {
      throw new AppError(
        "PERMISSION_DENIED",
        `this stream is registered as "${session.key}"; it cannot report as "${report.id}"`,
      );
    }
    const identity = identityOf(report);
    checkIdentity(identity);
    await this.deps.onlineReports.record(identity);
    const nowMs = Date.now();
    const wasOffline = !this.deps.sessions.isOnline(session, nowMs);
    session.lastAnswerMs = nowMs;
    // Back from being offline: anything that waited for an online instance goes out now.
    if (wasOffline) this.replay(session);
    return ackOf(sequence);
  }
}
