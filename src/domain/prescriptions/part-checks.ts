/**
 * Checks of a PrescriptionResult part before anything is stored, and the stored form of each
 * prescription (canonical JSON, so that a re-sent part compares equal to what was stored however
 * its objects' keys are ordered). Pure: no I/O.
 */
import { hasNul } from "../text-checks.js";

export const maxPrescriptionsPerPart = 10_000;
export const maxTypeLength = 200;
export const maxDetailLength = 4_000;
export const maxCaseIdLength = 1_000;
/** Largest stored output (and, separately, model) of one case, as JSON. */
export const maxJsonLength = 64 * 1024;

/** One case's prescription as it arrives (a decoded google.protobuf.Value/Struct is plain JSON). */
export interface IncomingPrescription {
  readonly caseId: string;
  readonly prescription:
    | {
        readonly type: string;
        readonly output: unknown;
        readonly detail: string;
        readonly model: Record<string, unknown> | undefined;
      }
    | undefined;
}

/** A prescription as stored in `prescription_results`. */
export interface StoredPrescription {
  readonly type: string;
  readonly outputJson: string;
  readonly detail: string;
  readonly modelJson: string;
}

export type PartCheck =
  | { readonly ok: true; readonly rows: readonly (StoredPrescription & { caseId: string })[] }
  | { readonly ok: false; readonly reason: string };

/** The part's prescriptions in stored form, or why the part is malformed. */
export function checkPart(prescriptions: readonly IncomingPrescription[]): PartCheck {
  if (prescriptions.length > maxPrescriptionsPerPart) {
    return bad(
      `a part holds at most ${maxPrescriptionsPerPart} prescriptions, this one ${prescriptions.length}: send more, smaller parts`,
    );
  }
  const seen = new Set<string>();
  const rows: (StoredPrescription & { caseId: string })[] = [];
  for (const [i, item] of prescriptions.entries()) {
    const where = `prescriptions[${i}]`;
    if (item.caseId === "") return bad(`${where}: case_id is empty`);
    if (item.caseId.length > maxCaseIdLength) {
      return bad(`${where}: case_id is longer than ${maxCaseIdLength} characters`);
    }
    const name = `${where} (case "${item.caseId.slice(0, 100)}")`;
    if (hasNul(item.caseId)) return bad(`${where}: case_id contains the NUL character`);
    if (seen.has(item.caseId)) return bad(`${name} appears twice in the part`);
    seen.add(item.caseId);
    const p = item.prescription;
    if (!p) return bad(`${name} has no prescription`);
    if (p.type.length > maxTypeLength) {
      return bad(`${name}: type is longer than ${maxTypeLength} characters`);
    }
    if (p.detail.length > maxDetailLength) {
      return bad(`${name}: detail is longer than ${maxDetailLength} characters`);
    }
    if (hasNul(p.type) || hasNul(p.detail)) {
      return bad(`${name}: type and detail must not contain the NUL character`);
    }
    const output = canonicalJson(p.output === undefined ? null : p.output);
    if (output === undefined) return bad(`${name}: output holds a number that is not finite`);
    if (output.length > maxJsonLength) {
      return bad(`${name}: output is larger than ${maxJsonLength} bytes as JSON`);
    }
    const model = canonicalJson(p.model ?? {});
    if (model === undefined) return bad(`${name}: model holds a number that is not finite`);
    if (model.length > maxJsonLength) {
      return bad(`${name}: model is larger than ${maxJsonLength} bytes as JSON`);
    }
    rows.push({
      caseId: item.caseId,
      type: p.type,
      outputJson: output,
      detail: p.detail,
      modelJson: model,
    });
  }
  return { ok: true, rows };
}

/** True when a stored row holds exactly this prescription. */
export function sameStoredPrescription(a: StoredPrescription, b: StoredPrescription): boolean {
  return (
    a.type === b.type &&
    a.outputJson === b.outputJson &&
    a.detail === b.detail &&
    a.modelJson === b.modelJson
  );
}

/** JSON with object keys sorted; undefined when a number is not finite (JSON cannot hold it). */
export function canonicalJson(value: unknown): string | undefined {
  let finite = true;
  const sorted = (v: unknown): unknown => {
    if (typeof v === "number" && !Number.isFinite(v)) finite = false;
    if (Array.isArray(v)) return v.map(sorted);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        out[key] = sorted((v as Record<string, unknown>)[key]);
      }
      return out;
    }
    return v === undefined ? null : v;
  };
  const text = JSON.stringify(sorted(value));
  return finite ? text : undefined;
}

function bad(reason: string): PartCheck {
  return { ok: false, reason };
}
