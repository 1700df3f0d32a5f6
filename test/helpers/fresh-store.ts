// A fresh, empty store for each test of the enclosing describe.
import { afterEach, beforeEach } from "vitest";
import { openStore, type Store } from "../../src/store/connect.js";
import { createTestDatabaseUrl, type Dialect, type TestDatabase } from "./databases.js";

export interface FreshStore {
  /** The current test's store (opened before it, closed after it). */
  readonly store: Store;
  /** The current test's database (dropped after it). */
  readonly database: TestDatabase;
}

/**
 * Registers the hooks that create a database of `dialect` and open the store on it before each
 * test, and close and drop them after; call it inside a describe, before its other hooks.
 */
export function freshStorePerTest(dialect: Dialect): FreshStore {
  let current: { store: Store; database: TestDatabase } | undefined;
  beforeEach(async () => {
    const database = await createTestDatabaseUrl(dialect);
    current = { database, store: await openStore(database.url) };
  });
  afterEach(async () => {
    const ended = current;
    current = undefined;
    await ended?.store.close();
    await ended?.database.drop();
  });
  const opened = () => {
    if (!current) throw new Error("the store exists only while a test runs");
    return current;
  };
  return {
    get store() {
      return opened().store;
    },
    get database() {
      return opened().database;
    },
  };
}
