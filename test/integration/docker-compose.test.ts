import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const hasDockerCompose = spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status === 0;
if (!hasDockerCompose) {
  console.warn(
    "docker-compose (Debian's docker-compose package) is not installed: compose file not validated",
  );
}

describe.skipIf(!hasDockerCompose)("docker-compose.yml", () => {
  it("is valid and wires PostgreSQL, the core and both example plugins", () => {
    const config = execFileSync("docker-compose", ["-f", "docker-compose.yml", "config"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(config).toMatch(/services:\n(\s+.*\n)*?\s+core:/);
    for (const service of [
      "postgres:",
      "core:",
      "core-2:",
      "plugin-next-activity:",
      "plugin-python:",
    ]) {
      expect(config).toContain(`  ${service}`);
    }
    expect(config).toContain("condition: service_healthy");
    expect(config).toContain(
      "CORE_DATABASE_URL: postgres://training:training@postgres:5432/training_core",
    );
    expect(config).toContain("build/examples/plugins/next-activity/main.js");
    expect(config).toContain("pg_isready");
    expect(config).toContain("CORE_ADDRESS: core:50051,core-2:50051");
  });
});
