/**
 * Authentication and per-method authorization, in one place: every handler of an application
 * service is wrapped when the service is added, so no method can be served without a rule.
 * The wrapper authenticates the call (metadata + verified client certificate → Principal),
 * checks the method's rule, remembers the principal for the handler (`principalOf`) and, for
 * streams, registers the call so that revoking its token ends it. Health and reflection are
 * added without this wrapper: they stay open.
 */
import type { EventEmitter } from "node:events";
import type { PeerCertificate } from "node:tls";
import type {
  Metadata,
  Server,
  ServiceDefinition,
  ServiceError,
  sendUnaryData,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Authenticator, PresentedCredentials } from "../../app/auth/authenticator.js";
import { describePrincipal, type Principal, type PrincipalKind } from "../../app/auth/principal.js";
import { AppError } from "../../domain/errors.js";
import { DatasetServiceService } from "../../gen/trainingcore/v1/dataset_service.js";
import { ModelServiceService } from "../../gen/trainingcore/v1/model_service.js";
import { PluginServiceService } from "../../gen/trainingcore/v1/plugin_service.js";
import { PrescriptionServiceService } from "../../gen/trainingcore/v1/prescription_service.js";
import { ProjectServiceService } from "../../gen/trainingcore/v1/project_service.js";
import type { Logger } from "../../logger.js";
import { grpcStatusOf, serviceErrorOf, toServiceError } from "../grpc-errors.js";
import type { AuthenticatedCalls, EndCall } from "./authenticated-calls.js";

/** Who may call what (besides development mode, which may call everything). */
export const accessRules: ReadonlyMap<string, readonly PrincipalKind[]> = new Map([
  [PluginServiceService.connect.path, ["plugin"]],
  [DatasetServiceService.downloadDataset.path, ["plugin"]],
  [DatasetServiceService.uploadDataset.path, ["consumer"]],
  [DatasetServiceService.inspectDataset.path, ["consumer"]],
  [ProjectServiceService.createProject.path, ["consumer"]],
  [ProjectServiceService.getProject.path, ["consumer"]],
  [ProjectServiceService.listProjects.path, ["consumer"]],
  [ProjectServiceService.watchProject.path, ["consumer"]],
  [ProjectServiceService.listPlugins.path, ["consumer"]],
  [ProjectServiceService.deleteProject.path, ["consumer"]],
  [ProjectServiceService.updateProject.path, ["consumer"]],
  [ProjectServiceService.setPluginServing.path, ["consumer"]],
  [PrescriptionServiceService.prescribeDataset.path, ["consumer"]],
  [PrescriptionServiceService.getPrescriptionJob.path, ["consumer"]],
  [PrescriptionServiceService.watchPrescriptionJob.path, ["consumer"]],
  [PrescriptionServiceService.listPrescriptions.path, ["consumer"]],
  [PrescriptionServiceService.deletePrescriptionJob.path, ["consumer"]],
  [PrescriptionServiceService.listPrescriptionJobs.path, ["consumer"]],
  [PrescriptionServiceService.postEvents.path, ["consumer"]],
  [PrescriptionServiceService.watchPrescriptions.path, ["consumer"]],
  [PrescriptionServiceService.simulateProject.path, ["consumer"]],
  [PrescriptionServiceService.clearEvents.path, ["consumer"]],
  // Plugins move only their own key's models, consumers export any (see checkModelAccess).
  [ModelServiceService.uploadModel.path, ["plugin"]],
  [ModelServiceService.downloadModel.path, ["plugin", "consumer"]],
]);

export interface AuthGuard {
  readonly authenticator: Authenticator;
  readonly calls: AuthenticatedCalls;
  readonly logger: Logger;
}

/** What every kind of server call offers (grpc-js does not export its own name for it). */
interface SurfaceCall {
  readonly metadata: Metadata;
  getPeer(): string;
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}

const principals = new WeakMap<object, Principal>();

/** The principal of a call admitted by the wrapper. Throws for a call that was not wrapped. */
export function principalOf(call: object): Principal {
  const principal = principals.get(call);
  if (!principal) throw new Error("the call was not authenticated: its service is not wrapped");
  return principal;
}

/** What the caller presents: `authorization` metadata and a client certificate verified by TLS. */
export function presentedCredentials(call: SurfaceCall): PresentedCredentials {
  const authorization = call.metadata
    .get("authorization")
    .map((value) => (typeof value === "string" ? value : value.toString("utf8")));
  // Set only when TLS verified the certificate against CORE_TLS_CLIENT_CA.
  const commonName = call.getAuthContext().sslPeerCertificate?.subject?.CN;
  const certificateName = Array.isArray(commonName) ? commonName[0] : commonName;
  return { authorization, certificateName: certificateName || undefined };
}

function names(kinds: readonly PrincipalKind[]): string {
  return kinds.map((kind) => `a ${kind} token`).join(" or ");
}

/** Refuses a principal the method's rule does not list. */
export function authorize(principal: Principal, path: string): void {
  const allowed = accessRules.get(path);
  if (!allowed) throw new AppError("PERMISSION_DENIED", `${path} is not open to any caller`);
  if (principal.kind === "development" || allowed.includes(principal.kind)) return;
  const method = path.replace(/^\/trainingcore\.v1\./, "");
  const mayCall = [...accessRules]
    .filter(([, kinds]) => kinds.includes(principal.kind))
    .map(([other]) => other.replace(/^\/trainingcore\.v1\./, ""));
  throw new AppError(
    "PERMISSION_DENIED",
    `${method} needs ${names(allowed)}; this call was made with ${describePrincipal(principal)}, which may call only ${mayCall.join(", ")}`,
  );
}

/** Adds `implementation` to `server` with every handler behind authentication and its rule. */
export function addAuthenticatedService(
  server: Server,
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  guard: AuthGuard,
): void {
  const wrapped: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = implementation[name];
    if (!accessRules.has(method.path)) throw new Error(`no access rule for ${method.path}`);
    if (!handler) throw new Error(`no handler for ${method.path}`);
    wrapped[name] = guarded(method.path, kindOf(method), handler, guard);
  }
  server.addService(definition, wrapped);
}

type CallKind = "unary" | "clientStream" | "serverStream" | "bidi";

function kindOf(method: { requestStream: boolean; responseStream: boolean }): CallKind {
  if (method.requestStream) return method.responseStream ? "bidi" : "clientStream";
  return method.responseStream ? "serverStream" : "unary";
}

type AnyCall = SurfaceCall & EventEmitter & { cancelled: boolean };
type AnyHandler = (call: AnyCall, callback?: sendUnaryData<unknown>) => void;

function guarded(
  path: string,
  kind: CallKind,
  untyped: UntypedHandleCall,
  guard: AuthGuard,
): UntypedHandleCall {
  const handler = untyped as unknown as AnyHandler;
  const answers = kind === "unary" || kind === "clientStream";
  const wrapper = (call: AnyCall, callback?: sendUnaryData<unknown>): void => {
    // One answer per unary/client-stream call, even when a revocation answered first.
    const answer = answers ? answerOnce(callback) : undefined;
    const fail = (error: Partial<ServiceError>) => {
      if (answer) answer(error);
      else call.emit("error", error);
    };
    admit(call, path, guard).then(
      (principal) => {
        if (call.cancelled) return;
        principals.set(call, principal);
        // Streams only; server and bidi streams are ended with an 'error' event by default.
        if (kind === "clientStream")
          guard.calls.add(call, principal, endClientStream(call, answer));
        else if (kind !== "unary") guard.calls.add(call, principal);
        try {
          handler(call, answer);
        } catch (error) {
          fail(toServiceError(error, guard.logger)); // as grpc-js does for a handler that throws
        }
      },
      (error: unknown) => {
        const refusal = toServiceError(error, guard.logger);
        guard.logger.info(
          { method: path, code: refusal.code, reason: refusal.details, peer: call.getPeer() },
          "call refused",
        );
        fail(refusal);
      },
    );
  };
  return wrapper as unknown as UntypedHandleCall;
}

function answerOnce(callback: sendUnaryData<unknown> | undefined): sendUnaryData<unknown> {
  let answered = false;
  return (...args) => {
    if (answered) return;
    answered = true;
    callback?.(...args);
  };
}

async function admit(call: AnyCall, path: string, guard: AuthGuard): Promise<Principal> {
  const principal = await guard.authenticator.authenticate(presentedCredentials(call));
  authorize(principal, path);
  return principal;
}

/** Ends a client stream with a status from outside its handler. */
function endClientStream(call: AnyCall, answer: sendUnaryData<unknown> | undefined): EndCall {
  return (error) => {
    // Answer first, then stop the reader: the handler sees a premature close and cleans up.
    answer?.(serviceErrorOf(grpcStatusOf(error)));
    (call as unknown as NodeJS.ReadableStream & { destroy(): void }).destroy();
  };
}

/** Refuses a Connect call whose plugin principal stands for another key than `key`. */
export function authorizeRegistration(call: object, key: string): void {
  const principal = principalOf(call);
  if (principal.kind !== "plugin" || principal.key === key) return;
  throw new AppError(
    "PERMISSION_DENIED",
    `OnlineReport.id is "${key}", but this stream was opened with ${describePrincipal(principal)}: register as "${principal.key}", or connect with a token made by \`training-core token create --plugin ${key}\``,
  );
}
