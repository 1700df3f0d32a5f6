import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));
const buf = join(repositoryRoot, "node_modules", ".bin", "buf");
const baseline = join(repositoryRoot, "api", "baseline.binpb");
const projectProto = join("proto", "trainingcore", "v1", "project.proto");

/** The field the test deletes (its comment may stay: buf sees only the field gone). */
const requestIdField = /^ {2}string request_id = 10;\n/m;

let workspace: string;

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), "buf-breaking-"));
  for (const path of ["buf.yaml", "proto", join("third_party", "proto")]) {
    cpSync(join(repositoryRoot, path), join(workspace, path), { recursive: true });
  }
});

afterEach(() => {
  rmSync(workspace, { recursive: true, force: true });
});

/** What `npm run check:breaking` runs, in the copied workspace. */
function checkBreaking(): { status: number | null; output: string } {
  const result = spawnSync(buf, ["breaking", "proto", "--against", baseline], {
    cwd: workspace,
    encoding: "utf8",
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("buf breaking against the kept baseline", () => {
  it("passes for the protocol as it is", () => {
    expect(checkBreaking()).toEqual({ status: 0, output: "" });
  });

  it("fails when a field of Project is deleted, naming the field", () => {
    const path = join(workspace, projectProto);
    const original = readFileSync(path, "utf8");
    expect(original).toMatch(requestIdField);
    writeFileSync(path, original.replace(requestIdField, ""));

    const { status, output } = checkBreaking();
    expect(status).not.toBe(0);
    expect(output).toContain(
      'Previously present field "10" with name "request_id" on message "Project" was deleted.',
    );
  });
});
