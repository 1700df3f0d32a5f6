// An independent model of the ack rules of prescription answers (PrescriptionResult parts and
// PrescriptionError) for one request, written from the protocol's text: it predicts each ack's
// code and what the core stores.

export interface PartItem {
  readonly caseId: string;
  /** undefined: the CasePrescription carries no prescription. */
  readonly prescription?: { type: string; output: unknown; detail: string; model: object };
}

export type Answer =
  | { readonly kind: "part"; readonly items: readonly PartItem[]; readonly last: boolean }
  | { readonly kind: "error"; readonly detail: string };

/** JSON with sorted keys; undefined when a number is not finite. */
export function stableJson(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : undefined;
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    const parts = value.map(stableJson);
    return parts.includes(undefined) ? undefined : `[${parts.join(",")}]`;
  }
  const entries = Object.keys(value)
    .sort()
    .map((key) => [key, stableJson((value as Record<string, unknown>)[key])] as const);
  if (entries.some(([, v]) => v === undefined)) return undefined;
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;
}

function storedForm(item: PartItem): string | undefined {
  const p = item.prescription;
  if (!p) return undefined;
  const output = stableJson(p.output);
  const model = stableJson(p.model);
  if (output === undefined || model === undefined) return undefined;
  return JSON.stringify([p.type, output, p.detail, model]);
}

function malformed(items: readonly PartItem[]): boolean {
  if (items.length > 10_000) return true;
  const seen = new Set<string>();
  for (const item of items) {
    if (item.caseId === "" || item.caseId.length > 1000 || seen.has(item.caseId)) return true;
    seen.add(item.caseId);
    const p = item.prescription;
    if (!p || p.type.length > 200 || p.detail.length > 4000) return true;
    const output = stableJson(p.output);
    const model = stableJson(p.model);
    if (output === undefined || model === undefined) return true;
    if (output.length > 64 * 1024 || model.length > 64 * 1024) return true;
  }
  return false;
}

export class RequestModel {
  status = "RUNNING";
  detail = "";
  readonly stored = new Map<string, string>();

  constructor(private readonly cases: ReadonlySet<string>) {}

  /** The ack code the core must answer with; applies the answer when accepted. */
  apply(answer: Answer): number {
    if (answer.kind === "error") {
      const detail = answer.detail.trim() || "the plugin reported an error without a detail";
      if (this.status === "ERROR" && this.detail === detail) return 0;
      if (this.status !== "RUNNING") return 9;
      if (detail.length > 4000) return 3;
      this.status = "ERROR";
      this.detail = detail;
      return 0;
    }
    const bad = malformed(answer.items);
    const allStored =
      !bad &&
      answer.items.every((item) => {
        const stored = this.stored.get(item.caseId);
        return stored !== undefined && stored === storedForm(item);
      });
    if (allStored && (!answer.last || this.status === "DONE")) return 0;
    if (this.status !== "RUNNING") return 9;
    if (bad || answer.items.some((item) => !this.cases.has(item.caseId))) return 3;
    for (const item of answer.items) {
      if (!this.stored.has(item.caseId)) this.stored.set(item.caseId, storedForm(item) as string);
    }
    if (answer.last) this.status = "DONE";
    return 0;
  }
}
