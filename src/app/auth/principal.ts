/**
 * Who is calling. Every call to an application service is authenticated to one Principal before
 * its handler runs (the transport's authenticated services); handlers read it with `principalOf(call)`.
 */
export type Principal =
  /** A plugin of one key: a plugin token (`tokenId`) or a client certificate (`tokenId` null). */
  | { readonly kind: "plugin"; readonly key: string; readonly tokenId: number | null }
  /** A consumer token. */
  | { readonly kind: "consumer"; readonly tokenId: number }
  /** No token exists at all: the core runs in development mode and every call is allowed. */
  | { readonly kind: "development" };

export type PrincipalKind = Principal["kind"];

export const developmentPrincipal: Principal = { kind: "development" };

/** For messages and logs, e.g. `plugin token 3 (plugin key "knn")`; never contains a secret. */
export function describePrincipal(principal: Principal): string {
  switch (principal.kind) {
    case "plugin":
      return principal.tokenId === null
        ? `the client certificate of plugin key "${principal.key}"`
        : `plugin token ${principal.tokenId} (plugin key "${principal.key}")`;
    case "consumer":
      return `consumer token ${principal.tokenId}`;
    case "development":
      return "development mode (no token exists)";
  }
}

/** The token a principal rests on, if any: what revocation looks at. */
export function tokenIdOf(principal: Principal): number | null {
  return principal.kind === "development" ? null : principal.tokenId;
}
