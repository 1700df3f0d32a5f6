#!/usr/bin/env node
/**
 * Container health check: asks the core's standard gRPC health service whether it is SERVING.
 * Exit 0 when it is, 1 otherwise. Reads CORE_ADDRESS (0.0.0.0 is checked on 127.0.0.1).
 */
import { credentials, Metadata } from "@grpc/grpc-js";
import { HealthCheckResponse_ServingStatus, HealthClient } from "../gen/grpc/health/v1/health.js";

const configured = process.env.CORE_ADDRESS ?? "127.0.0.1:50051";
const address = configured.replace(/^0\.0\.0\.0:|^\[::\]:/, "127.0.0.1:");
const client = new HealthClient(address, credentials.createInsecure());
client.check(
  { service: "" },
  new Metadata(),
  { deadline: Date.now() + 2000 },
  (error, response) => {
    const serving = !error && response.status === HealthCheckResponse_ServingStatus.SERVING;
    process.stdout.write(
      serving ? "SERVING\n" : `NOT SERVING${error ? `: ${error.message}` : ""}\n`,
    );
    client.close();
    process.exit(serving ? 0 : 1);
  },
);
