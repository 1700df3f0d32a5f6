/**
 * The security posture at start: with tokens, every call needs one. Without any, the core runs in
 * development mode (everything open) and must then listen on loopback only, unless the operator
 * says CORE_INSECURE=1.
 */
export type StartupPosture =
  | { readonly kind: "enforced" }
  | { readonly kind: "development"; readonly warning: string }
  | { readonly kind: "refused"; readonly reason: string };

export interface PostureInput {
  /** CORE_ADDRESS, host:port. */
  readonly address: string;
  /** CORE_INSECURE=1. */
  readonly insecure: boolean;
  /** At least one row in the tokens table (revoked ones count). */
  readonly tokensExist: boolean;
}

/** The host part of host:port, without IPv6 brackets. */
export function hostOf(address: string): string {
  const host = address.slice(0, Math.max(0, address.lastIndexOf(":")));
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  return (
    lower === "localhost" ||
    /^127(\.\d{1,3}){3}$/.test(lower) ||
    lower === "::1" ||
    lower === "0:0:0:0:0:0:0:1" ||
    lower === "::ffff:127.0.0.1"
  );
}

const createHint =
  "create a token first (`training-core token create --consumer`, and `--plugin KEY` for each plugin)";

export function startupPosture(input: PostureInput): StartupPosture {
  if (input.tokensExist) return { kind: "enforced" };
  const host = hostOf(input.address);
  if (isLoopbackHost(host)) {
    return {
      kind: "development",
      warning: `development mode: no access token exists, so every call is allowed without authentication (listening on loopback only); ${createHint} to require tokens`,
    };
  }
  if (input.insecure) {
    return {
      kind: "development",
      warning: `INSECURE: no access token exists and CORE_INSECURE=1, so anyone who reaches ${input.address} may call everything without authentication; ${createHint}`,
    };
  }
  return {
    kind: "refused",
    reason: `CORE_ADDRESS=${input.address} is not a loopback address, and no access token exists, so anyone could call the core without authentication; ${createHint}, or listen on 127.0.0.1, or set CORE_INSECURE=1 to serve without authentication anyway`,
  };
}
