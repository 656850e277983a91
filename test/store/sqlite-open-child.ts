/**
 * Child process for the SQLite open tests that must run as another user (tests run as root,
 * and root can write any file): opens the store at argv[2] and prints the outcome as one JSON line.
 */
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const path = process.argv[2]!;
try {
  const store = await openSqliteStore(path, {});
  await store.close();
  console.log(JSON.stringify({ ok: true }));
} catch (error) {
  console.log(
    JSON.stringify({ ok: false, name: (error as Error).name, message: (error as Error).message }),
  );
}
