/**
 * Test-only crash points: `HOLDFAST_CRASH_AT=after-claim|after-handler|during-complete` (several
 * comma-separated) makes the process SIGKILL itself at that point, so the reliability suite
 * (test/chaos) can crash a worker exactly where a real crash would hurt most. Honoured only when
 * NODE_ENV is `test` as well: a production process never reads the variable twice. The set is
 * computed once at load; a disabled crash point costs one null check.
 *
 *   after-claim      the claim committed, the handler has not started
 *   after-handler    the handler returned (its side effect happened), completion not yet written
 *   during-complete  inside the SQLite completion transaction, after the job row was updated and
 *                    before the attempt row and the commit
 */
export type CrashPoint = 'after-claim' | 'after-handler' | 'during-complete';

const armed: ReadonlySet<string> | null =
  process.env.NODE_ENV === 'test' && process.env.HOLDFAST_CRASH_AT
    ? new Set(process.env.HOLDFAST_CRASH_AT.split(',').map((name) => name.trim()))
    : null;

export function crashPoint(name: CrashPoint): void {
  if (armed !== null && armed.has(name)) process.kill(process.pid, 'SIGKILL');
}
