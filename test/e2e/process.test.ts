import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { credentials, status } from "@grpc/grpc-js";
import { afterEach, beforeEach, expect, it } from "vitest";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  freePort,
  type TestDatabase,
} from "../helpers/databases.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";

describeEachDialect("the core as a process", (dialect) => {
  let database: TestDatabase;
  let core: CoreProcess | undefined;
  let projects: ProjectServiceClient | undefined;

  beforeEach(async () => {
    database = await createTestDatabaseUrl(dialect);
  });

  afterEach(async () => {
    projects?.close();
    if (core && core.child.exitCode === null && core.child.signalCode === null) {
      core.child.kill("SIGKILL");
      await core.exited;
    }
    await database.drop();
  });

  it("exits 0 on SIGTERM after ending plugin streams with UNAVAILABLE", async () => {
    core = await spawnCore(database.url, await freePort());
    const plugin = await TestPlugin.connect(core.address, "a");
    core.child.kill("SIGTERM");
    expect((await plugin.ended).code).toBe(status.UNAVAILABLE);
    expect(await core.exited).toBe(0);
    expect(core.logLines.some((line) => line.includes('"stopped"'))).toBe(true);
  });

  it("exits 0 on a SIGTERM that comes while it is still starting", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      env: {
        ...process.env,
        CORE_ADDRESS: `127.0.0.1:${await freePort()}`,
        CORE_DATABASE_URL: database.url,
        CORE_LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit").then(([code, signal]) => code ?? signal);
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on("line", (line) => {
      // The first line is the development-mode warning, written early in the start.
      if (lines.push(line) === 1) child.kill("SIGTERM");
    });
    expect(await exited).toBe(0);
    expect(lines.some((line) => line.includes('"signal received"'))).toBe(true);
    expect(lines.some((line) => line.includes('"stopped"'))).toBe(true);
  });

  it("loses nothing acked when killed with SIGKILL mid-workflow", async () => {
    const port = await freePort();
    core = await spawnCore(database.url, port);
    projects = new ProjectServiceClient(core.address, credentials.createInsecure());
    let a = await TestPlugin.connect(core.address, "a");
    let b = await TestPlugin.connect(core.address, "b");
    const project = await createProject(projects, { pluginKeys: ["a", "b"] });
    const aData = await a.trainingData.next();
    await b.trainingData.next();
    await a.train(aData); // acked: must survive the crash

    core.child.kill("SIGKILL");
    await core.exited;
    a.cancel();
    b.cancel();
    projects.close();

    core = await spawnCore(database.url, port);
    projects = new ProjectServiceClient(core.address, credentials.createInsecure());
    const afterCrash = await getProject(projects, project.id);
    expect(afterCrash.plugins.map((p) => p.status)).toEqual([
      PluginStatus.PLUGIN_STATUS_TRAINED,
      PluginStatus.PLUGIN_STATUS_WAITING,
    ]);
    a = await TestPlugin.connect(core.address, "a");
    b = await TestPlugin.connect(core.address, "b");
    const bData = await b.trainingData.next(); // redelivered: still WAITING
    await b.train(bData);
    await watchToEnd(projects, project.id);
    expect((await getProject(projects, project.id)).status).toBe(
      ProjectStatus.PROJECT_STATUS_TRAINED,
    );
    expect(a.trainingData.size).toBe(0);
    a.close();
    b.close();
  });

  it("refuses to start with an invalid setting, exit code 2", async () => {
    const failed = spawnCore(database.url, await freePort(), {
      CORE_ONLINE_INQUIRY_INTERVAL_MS: "soon",
    });
    await expect(failed).rejects.toThrow(
      /core exited \(2\)[\s\S]*CORE_ONLINE_INQUIRY_INTERVAL_MS=soon/,
    );
  });
});
