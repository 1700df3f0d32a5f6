/**
 * Serves the core's Prometheus metrics as text on `GET /metrics` over plain HTTP/1.1, on its
 * own address (`CORE_METRICS_ADDRESS`), apart from the gRPC port. It has no authentication:
 * bind it to loopback or a network only the scraper reaches.
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import type { Logger } from "../../logger.js";

export interface MetricsServer {
  /** host:port actually bound (the real port when the configured one was 0). */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(
  address: string,
  registry: Registry,
  logger: Logger,
): Promise<MetricsServer> {
  const separator = address.lastIndexOf(":");
  const host = address.slice(0, separator).replace(/^\[(.*)\]$/, "$1");
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { "content-type": registry.contentType });
        response.end(request.method === "HEAD" ? undefined : text);
      },
      (error: unknown) => {
        logger.warn({ err: error }, "could not collect metrics");
        response.writeHead(500, { "content-type": "text/plain" }).end("could not collect\n");
      },
    );
  });
  // Scrapers keep connections alive; do not let one hold shutdown up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(address.slice(separator + 1)), host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound ? bound.port : 0;
  return {
    address: `${address.slice(0, separator)}:${port}`,
    port,
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
