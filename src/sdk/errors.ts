/** Errors the SDK hands to plugin code. */
import { status } from "@grpc/grpc-js";

export type ReportKind =
  | "accept"
  | "reject"
  | "started"
  | "trained"
  | "fail"
  /** A part of the answer to a prescription request (PrescriptionResult). */
  | "prescriptions"
  /** PrescriptionError. */
  | "prescription-error";

/** The name of a gRPC status code, e.g. `FAILED_PRECONDITION` for 9. */
export function codeName(code: number): string {
  return (status as unknown as Record<number, string | undefined>)[code] ?? `code ${code}`;
}

/** The core refused a report: `code` is the gRPC status code of its Ack, `message` its reason. */
export class PluginReportError extends Error {
  override readonly name = "PluginReportError";

  constructor(
    /** A gRPC status code number (never 0). */
    readonly code: number,
    message: string,
    /** Which report was refused. */
    readonly report: ReportKind,
    /** The job the report was about. */
    readonly pluginId: number,
  ) {
    super(message || `the core refused the report (${codeName(code)})`);
  }
}

/** The core refused to register the plugin (its `OnlineReport`); retrying would not help. */
export class PluginRegistrationError extends Error {
  override readonly name = "PluginRegistrationError";

  constructor(
    readonly code: number,
    readonly details: string,
    key: string,
  ) {
    super(`the training core refused to register plugin "${key}" (${codeName(code)}): ${details}`);
  }
}

/** The plugin stopped before the core acknowledged a report. */
export class PluginStoppedError extends Error {
  override readonly name = "PluginStoppedError";

  constructor(message = "the plugin stopped before the core acknowledged the report") {
    super(message);
  }
}
