import type { PluginSessions } from "./plugin-sessions.js";

/** Sends every connected instance an OnlineInquiry each interval. */
export function startOnlineInquiries(sessions: PluginSessions, intervalMs: number): () => void {
  const timer = setInterval(() => {
    for (const session of sessions.all()) session.sendOnlineInquiry();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
