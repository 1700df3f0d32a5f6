/** A TRAINED project for prescription tests: every plugin given trains the membership it gets. */
import { expect } from "vitest";
import { type Project, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import type { TestCore } from "./core.js";
import type { TestPlugin } from "./plugin-client.js";
import { createProject, getProject } from "./projects.js";

/** Creates a project for the plugins' keys and trains it with one instance of each key. */
export async function trainedProject(core: TestCore, trainers: TestPlugin[]): Promise<Project> {
  const keys = [...new Set(trainers.map((p) => p.key))];
  const project = await createProject(core.projects, { pluginKeys: keys });
  for (const key of keys) {
    const trainer = trainers.find((p) => p.key === key) as TestPlugin;
    await trainer.train(await trainer.trainingData.next());
  }
  const trained = await getProject(core.projects, project.id);
  expect(trained.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
  return trained;
}
