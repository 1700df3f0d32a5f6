import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  buildStaleness,
  buildStamp,
  installStaleness,
} from "../../../scripts/ensure-installed.mjs";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "ensure-installed-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(path: string, content: string | object): void {
  const full = join(root, path);
  mkdirSync(join(full, ".."), { recursive: true });
  writeFileSync(full, typeof content === "string" ? content : JSON.stringify(content, null, 2));
}

const knex = {
  version: "3.3.0",
  resolved: "https://registry.npmjs.org/knex/-/knex-3.3.0.tgz",
  integrity: "sha512-knex",
};
const biomeForMac = { version: "2.6.8", optional: true, integrity: "sha512-mac" };
const manifest = { name: "core", dependencies: { knex: "^3.3.0" } };
const lockfile = {
  name: "core",
  lockfileVersion: 3,
  packages: {
    "": { name: "core", dependencies: { knex: "^3.3.0" } },
    "node_modules/knex": knex,
    "node_modules/@biomejs/cli-darwin-arm64": biomeForMac,
  },
};

/** A checkout whose node_modules holds `installed` (npm's record of what it installed). */
function checkout(installed: Record<string, object> | null, wanted: object = lockfile): void {
  write("package.json", manifest);
  write("package-lock.json", wanted);
  mkdirSync(join(root, "node_modules"));
  if (installed) write("node_modules/.package-lock.json", { name: "core", packages: installed });
}

describe("installStaleness", () => {
  it("asks for npm ci on a fresh clone", () => {
    write("package.json", manifest);
    write("package-lock.json", lockfile);
    expect(installStaleness(root)).toBe("node_modules is missing");
  });

  it("asks for npm ci when npm did not install node_modules", () => {
    checkout(null);
    expect(installStaleness(root)).toBe("node_modules was not installed by npm");
  });

  it("is satisfied when what is installed is what the lockfile pins, platform skips aside", () => {
    checkout({ "node_modules/knex": knex });
    expect(installStaleness(root)).toBeNull();
  });

  it("notices a package pinned to another version (a pull changed package-lock.json)", () => {
    checkout({ "node_modules/knex": { ...knex, version: "3.2.0", integrity: "sha512-old" } });
    expect(installStaleness(root)).toBe(
      "node_modules/knex differs from package-lock.json (version)",
    );
  });

  it("notices a package the lockfile added and one it removed", () => {
    const withPg = {
      ...lockfile,
      packages: { ...lockfile.packages, "node_modules/pg": { version: "8.23.1" } },
    };
    checkout({ "node_modules/knex": knex }, withPg);
    expect(installStaleness(root)).toBe("node_modules/pg is not installed");

    rmSync(root, { recursive: true });
    mkdirSync(root);
    checkout({ "node_modules/knex": knex, "node_modules/left-pad": { version: "1.3.0" } });
    expect(installStaleness(root)).toBe(
      "node_modules/left-pad is installed but not in package-lock.json",
    );
  });

  it("notices package.json edited without the lockfile, so npm ci can say so", () => {
    checkout({ "node_modules/knex": knex });
    write("package.json", { ...manifest, dependencies: { knex: "^3.3.0", pg: "^8.0.0" } });
    expect(installStaleness(root)).toBe(
      "package.json's dependencies differ from package-lock.json",
    );
  });
});

describe("buildStaleness", () => {
  const nowS = Date.now() / 1000;
  const touch = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);

  /** Every build input dated an hour ago, and a build stamp half an hour ago. */
  function builtCheckout(): void {
    checkout({ "node_modules/knex": knex });
    write("tsconfig.json", "{}");
    write("tsconfig.build.json", "{}");
    write("src/app/feature.ts", "export {};\n");
    write("src/main.ts", "export {};\n");
    write(buildStamp, "");
    for (const path of [
      "package.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "node_modules/.package-lock.json",
      "src/app/feature.ts",
      "src/app",
      "src/main.ts",
      "src",
    ]) {
      touch(path, nowS - 3600);
    }
    touch(buildStamp, nowS - 1800);
  }

  it("builds when this script has not built yet", () => {
    checkout({ "node_modules/knex": knex });
    expect(buildStaleness(root)).toBe("no build by this script yet");
  });

  it("skips the build when nothing changed since the last one", () => {
    builtCheckout();
    expect(buildStaleness(root)).toBeNull();
  });

  it("builds when a source file changed", () => {
    builtCheckout();
    touch("src/app/feature.ts", nowS - 60);
    expect(buildStaleness(root)).toBe("src changed since the last build");
  });

  it("builds when a source file was deleted", () => {
    builtCheckout();
    rmSync(join(root, "src/app/feature.ts"));
    expect(buildStaleness(root)).toBe("src changed since the last build");
  });

  it("builds after npm ci installed other packages", () => {
    builtCheckout();
    touch("node_modules/.package-lock.json", nowS - 60);
    expect(buildStaleness(root)).toBe(
      `${join("node_modules", ".package-lock.json")} changed since the last build`,
    );
  });
});
