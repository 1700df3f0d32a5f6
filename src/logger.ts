import { type Logger, pino } from "pino";

export type { Logger };

/** One JSON line per event on stdout; child loggers add projectId / pluginId / key. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "training-core" } });
}
