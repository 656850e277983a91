/**
 * The end-of-run criteria of the reliability suite, checked against the store and the effect log:
 *  - every job completed, or failed after exactly its maxAttempts; none pending/running/retrying;
 *  - no job over maxAttempts; attempts numbered 1..n, none still `running`;
 *  - every completed job's effect present, for the attempt that completed it;
 *  - every other effect (a duplicate) belongs to an attempt recorded as lost;
 *  - SQLite: PRAGMA integrity_check says ok.
 * Returns the problems found (empty: all criteria hold) and the figures for the report.
 */
import Database from 'better-sqlite3';
import type { Store } from '../../../src/store/store.js';
import { readEffects } from '../../helpers/effects.js';

export interface Verdict {
  problems: string[];
  jobs: number;
  completed: number;
  failed: number;
  attempts: number;
  lostAttempts: number;
  effects: number;
  duplicateEffects: number;
  maxAttemptsSeen: number;
  integrity: string;
}

export async function verifyRun(
  store: Store,
  effectsPath: string,
  expectedJobs: number,
  sqlitePath?: string,
): Promise<Verdict> {
  const problems: string[] = [];
  const note = (problem: string) => {
    if (problems.length < 50) problems.push(problem);
  };
  // Effects by job and attempt; a (job, attempt) pair done twice would be a double claim.
  const done = new Map<string, Map<number, number>>();
  const effects = readEffects(effectsPath);
  for (const effect of effects) {
    if (effect.kind !== 'done') continue;
    const byAttempt = done.get(effect.jobId) ?? new Map<number, number>();
    byAttempt.set(effect.attempt, (byAttempt.get(effect.attempt) ?? 0) + 1);
    done.set(effect.jobId, byAttempt);
  }
  if (!store.exportRows) throw new Error(`${store.description} cannot export rows`);
  const verdict: Verdict = {
    problems,
    jobs: 0,
    completed: 0,
    failed: 0,
    attempts: 0,
    lostAttempts: 0,
    effects: 0,
    duplicateEffects: 0,
    maxAttemptsSeen: 0,
    integrity: 'not checked',
  };
  let after: string | null = null;
  for (;;) {
    const page = await store.exportRows({ afterId: after, limit: 2_000 });
    if (page.jobs.length === 0) break;
    const attemptsOf = new Map<string, typeof page.attempts>();
    for (const attempt of page.attempts) {
      const list = attemptsOf.get(attempt.jobId) ?? [];
      list.push(attempt);
      attemptsOf.set(attempt.jobId, list);
    }
    for (const job of page.jobs) {
      verdict.jobs++;
      const attempts = (attemptsOf.get(job.id) ?? []).sort((a, b) => a.attempt - b.attempt);
      verdict.attempts += attempts.length;
      verdict.maxAttemptsSeen = Math.max(verdict.maxAttemptsSeen, job.attempts);
      const outcomes = attempts.map((a) => a.outcome);
      verdict.lostAttempts += outcomes.filter((o) => o === 'lost').length;
      if (job.attempts > job.maxAttempts)
        note(`job ${job.id}: ${job.attempts} attempts, over maxAttempts ${job.maxAttempts}`);
      if (attempts.length !== job.attempts)
        note(`job ${job.id}: attempts=${job.attempts} but ${attempts.length} attempt rows`);
      attempts.forEach((a, index) => {
        if (a.attempt !== index + 1)
          note(
            `job ${job.id}: attempt rows not numbered 1..n (${attempts.map((x) => x.attempt).join(',')})`,
          );
      });
      if (outcomes.includes('running'))
        note(`job ${job.id}: an attempt is still running (${outcomes.join(',')})`);
      const jobDone = done.get(job.id) ?? new Map<number, number>();
      for (const [attempt, count] of jobDone) {
        verdict.effects += count;
        if (count > 1)
          note(`job ${job.id}: attempt ${attempt} did its effect ${count} times (double claim)`);
        const outcome = attempts[attempt - 1]?.outcome;
        if (outcome === 'completed') continue;
        verdict.duplicateEffects += count;
        if (outcome !== 'lost')
          note(
            `job ${job.id}: effect of attempt ${attempt} whose outcome is ${outcome ?? 'missing'}, not lost`,
          );
      }
      if (job.status === 'completed') {
        verdict.completed++;
        const completedAt = outcomes.indexOf('completed') + 1;
        if (
          outcomes.filter((o) => o === 'completed').length !== 1 ||
          completedAt !== attempts.length
        ) {
          note(`job ${job.id}: completed with outcomes ${outcomes.join(',')}`);
        }
        if (!jobDone.has(completedAt))
          note(`job ${job.id}: completed by attempt ${completedAt} but its effect is missing`);
        if (
          outcomes.slice(0, -1).some((o) => o !== 'lost' && o !== 'retrying' && o !== 'interrupted')
        ) {
          note(`job ${job.id}: earlier outcomes ${outcomes.join(',')}`);
        }
      } else if (job.status === 'failed') {
        verdict.failed++;
        if (job.attempts !== job.maxAttempts)
          note(
            `job ${job.id}: failed after ${job.attempts} attempts, not maxAttempts ${job.maxAttempts}`,
          );
      } else {
        note(`job ${job.id}: left ${job.status}`);
      }
    }
    after = page.jobs[page.jobs.length - 1]!.id;
  }
  if (verdict.jobs !== expectedJobs)
    note(`expected ${expectedJobs} jobs, the store holds ${verdict.jobs}`);
  if (sqlitePath) {
    verdict.integrity = integrityCheck(sqlitePath);
    if (verdict.integrity !== 'ok') note(`PRAGMA integrity_check: ${verdict.integrity}`);
  }
  return verdict;
}

/** PRAGMA integrity_check on a SQLite file ('ok' when sound). */
export function integrityCheck(path: string): string {
  const db = new Database(path, { fileMustExist: true });
  try {
    return (db.pragma('integrity_check', { simple: false }) as Array<{ integrity_check: string }>)
      .map((row) => row.integrity_check)
      .join('; ');
  } finally {
    db.close();
  }
}
