import { fileURLToPath } from "node:url";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import { describe, expect, it } from "vitest";

const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));
const fixtureRoot = fileURLToPath(new URL("../../fixtures/import-rules/", import.meta.url));

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

/** Cruises `src` under `baseDir` with the repository's own rules (the file `npm run lint` uses). */
async function violationsUnder(baseDir: string): Promise<Violation[]> {
  const options = await extractDepcruiseOptions(`${repositoryRoot}.dependency-cruiser.cjs`);
  const { output } = await cruise(["src"], { ...options, baseDir });
  const result = output as ICruiseResult;
  return result.summary.violations
    .map((violation) => ({ rule: violation.rule.name, from: violation.from, to: violation.to }))
    .sort((x, y) => `${x.rule}${x.from}`.localeCompare(`${y.rule}${y.from}`));
}

describe("import rules", () => {
  it("name every deliberate wrong import of the fixture tree, and nothing else", async () => {
    const violations = await violationsUnder(fixtureRoot);
    expect(violations).toEqual([
      {
        rule: "app-never-imports-transport-or-clients",
        from: "src/app/feature.ts",
        to: "src/gen/message.ts",
      },
      {
        rule: "cli-uses-public-modules-only",
        from: "src/cli/command.ts",
        to: "src/store/tokens.ts",
      },
      {
        rule: "domain-imports-nothing-of-ours",
        from: "src/domain/status.ts",
        to: "src/store/rows.ts",
      },
      { rule: "no-cycles", from: "src/app/cycle-a.ts", to: "src/app/cycle-b.ts" },
      {
        rule: "only-transport-sdk-cli-import-gen",
        from: "src/app/feature.ts",
        to: "src/gen/message.ts",
      },
      { rule: "sdk-is-a-client", from: "src/sdk/client.ts", to: "src/app/feature.ts" },
      {
        rule: "store-imports-only-store-and-domain",
        from: "src/store/rows.ts",
        to: "src/app/feature.ts",
      },
    ]);
  });

  it("hold in the real source tree", async () => {
    expect(await violationsUnder(repositoryRoot)).toEqual([]);
  });
});
