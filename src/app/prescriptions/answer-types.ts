/** A plugin's answer to a prescription request, and what applying it gave. */
import type { ErrorCode } from "../../domain/errors.js";
import type { IncomingPrescription } from "../../domain/prescriptions/part-checks.js";
import type { RequestStatus } from "../../domain/prescriptions/request-transitions.js";

export type PrescriptionAnswer =
  | {
      readonly kind: "part";
      readonly requestId: string;
      readonly prescriptions: readonly IncomingPrescription[];
      readonly last: boolean;
    }
  | { readonly kind: "error"; readonly requestId: string; readonly detail: string };

export type AnswerResult =
  | {
      readonly code: "OK";
      /** False for an exact repeat. */
      readonly changed: boolean;
      /** The request is still open (WAITING or RUNNING) after this answer. */
      readonly open: boolean;
      readonly status: RequestStatus;
      /** New prescriptions stored. */
      readonly stored: number;
      /** The request's job; '' for a live (stream) request. */
      readonly jobId: string;
    }
  | { readonly code: ErrorCode; readonly message: string };
