/**
 * PostEvents: new events of a project's running cases. Everything is checked before anything
 * is stored (the project TRAINED, at most `maxEventsPerPost` events, each with the defined
 * CASE_ID, ACTIVITY and time columns and values that parse); then one transaction, with the
 * project row locked (so event ids increase in commit order, which readers rely on), stores
 * the events and, for each event that does not complete its case, one request per serving
 * membership. A repeated `request_id` returns the ids stored the first time.
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { AppError } from "../../../domain/errors.js";
import { requestIdFor } from "../../../domain/prescriptions/request-ids.js";
import { hasNul } from "../../../domain/text-checks.js";
import { inTransaction } from "../../../store/commits/transactions.js";
import { findProject, lockProject } from "../../../store/sql/projects.js";
import {
  applyRetention,
  eventIdsOfPost,
  insertStreamEvents,
  insertStreamRequests,
  type NewStreamRequest,
} from "../../../store/sql/stream-events.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";
import { EventValueError, eventNormalizer, type NormalizedEvent } from "./event-normalizer.js";
import { servingMemberships } from "./serving-memberships.js";

export interface PostedEvent {
  readonly attributes: Readonly<Record<string, string>>;
  readonly caseCompleted: boolean;
}

export interface PostEventsDeps {
  readonly db: Knex;
  readonly feed: ChangeFeed;
  readonly maxEventsPerPost: number;
  /** CORE_STREAM_PRESCRIPTION_TIMEOUT_MS: a WAITING request's deadline from its creation. */
  readonly timeoutMs: number;
  /** CORE_EVENT_RETENTION: events kept per project, the oldest deleted first. */
  readonly retention: number;
}

const maxRequestIdLength = 200;
const invalid = (message: string) => new AppError("INVALID_ARGUMENT", message);

/** A new stream request id: `sr_`, the project and 32 hex digits (see `request-ids.ts`). */
export function newStreamRequestId(projectId: number): string {
  return requestIdFor("sr", projectId, randomUUID().replaceAll("-", ""));
}

export async function postEvents(
  deps: PostEventsDeps,
  projectId: number,
  events: readonly PostedEvent[],
  requestId: string,
): Promise<number[]> {
  if (requestId.length > maxRequestIdLength || hasNul(requestId)) {
    throw invalid(`request_id must be at most ${maxRequestIdLength} characters, without NUL`);
  }
  if (events.length > deps.maxEventsPerPost) {
    throw invalid(
      `a call carries at most ${deps.maxEventsPerPost} events (CORE_MAX_EVENTS_PER_POST), this one ${events.length}: post them in several calls`,
    );
  }
  const project = await findProject(deps.db, projectId);
  if (!project) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
  checkTrained(projectId, project.status);
  if (project.effective_definition_json === null) {
    throw new AppError(
      "FAILED_PRECONDITION",
      `project ${projectId} was created without an event-log definition, so its events cannot be read like its training set`,
    );
  }
  const normalizer = eventNormalizer(project.effective_definition_json);
  const normalized = events.map((event, index) => normalizeOne(normalizer, event, index));
  const nowMs = Date.now();
  return inTransaction(deps.db, async ({ trx, afterCommit }) => {
    const locked = await lockProject(trx, projectId);
    if (!locked) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
    checkTrained(projectId, locked.status);
    if (requestId !== "") {
      const ids = await eventIdsOfPost(trx, projectId, requestId);
      if (ids.length > 0) return ids;
    }
    const memberships = await servingMemberships(trx, projectId);
    const ids = await insertStreamEvents(
      trx,
      events.map((event, index) => {
        const { caseId, timeMs, normalized: row } = normalized[index] as NormalizedEvent;
        return {
          project_id: projectId,
          case_id: caseId,
          attributes_json: JSON.stringify(event.attributes),
          normalized_json: JSON.stringify(row),
          time_ms: timeMs,
          case_completed: event.caseCompleted,
          request_id: requestId,
          pending: event.caseCompleted ? 0 : memberships.length,
          posted_ms: nowMs,
        };
      }),
    );
    const requests: NewStreamRequest[] = [];
    for (const [index, event] of events.entries()) {
      if (event.caseCompleted) continue;
      const eventId = ids[index] as number;
      const { caseId } = normalized[index] as NormalizedEvent;
      for (const membership of memberships) {
        requests.push({
          id: newStreamRequestId(projectId),
          event_id: eventId,
          project_id: projectId,
          membership_id: membership.id,
          plugin_key: membership.plugin_key,
          case_id: caseId,
          status: "WAITING",
          deadline_ms: nowMs + deps.timeoutMs,
          created_ms: nowMs,
          updated_ms: nowMs,
        });
      }
    }
    await insertStreamRequests(trx, requests);
    await applyRetention(trx, projectId, ids.length, deps.retention);
    afterCommit(() => {
      deps.feed.streamChanged(projectId);
      if (requests.length > 0) {
        deps.feed.workAvailable(memberships.map((membership) => membership.plugin_key));
      }
    });
    return ids;
  });
}

function checkTrained(projectId: number, status: string): void {
  if (status !== "TRAINED") {
    throw new AppError(
      "FAILED_PRECONDITION",
      `project ${projectId} is ${status}; live prescriptions need a TRAINED project`,
    );
  }
}

function normalizeOne(
  normalizer: ReturnType<typeof eventNormalizer>,
  event: PostedEvent,
  index: number,
): NormalizedEvent {
  for (const [name, value] of Object.entries(event.attributes)) {
    if (hasNul(name) || hasNul(value)) {
      throw invalid(
        `events[${index}]: attribute ${JSON.stringify(name.slice(0, 100))} contains the NUL character; nothing was stored`,
      );
    }
  }
  try {
    return normalizer.normalize(event.attributes);
  } catch (error) {
    if (error instanceof EventValueError) {
      throw invalid(`events[${index}]: ${error.message}; nothing was stored`);
    }
    throw error;
  }
}
