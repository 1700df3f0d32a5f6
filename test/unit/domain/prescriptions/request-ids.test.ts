// Request ids carry their project, so an answer to a deleted project's request can say so.
import { expect, it } from "vitest";
import {
  projectOfRequestId,
  requestIdFor,
} from "../../../../src/domain/prescriptions/request-ids.js";

const hex = "0123456789abcdef0123456789abcdef";

it("reads back the project of the ids it makes, for both kinds", () => {
  expect(requestIdFor("req", 42, hex)).toBe(`req_42_${hex}`);
  expect(projectOfRequestId(requestIdFor("req", 42, hex))).toBe(42);
  expect(projectOfRequestId(requestIdFor("sr", 9_007_199_254_740, hex))).toBe(9_007_199_254_740);
});

it.each([
  "",
  `req_${hex}`, // the shape before project-scoped ids: no project
  `req_0_${hex}`,
  `req_042_${hex}`,
  `req_-1_${hex}`,
  `req_1_${hex.slice(1)}`,
  `req_1_${hex.toUpperCase()}`,
  `job_1_${hex}`,
  `req_1_${hex}x`,
  `req_99999999999999999_${hex}`, // past a safe integer
])("names no project for %j", (id) => {
  expect(projectOfRequestId(id)).toBeUndefined();
});
