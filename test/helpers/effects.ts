import { existsSync, readFileSync } from 'node:fs';

export interface Effect {
  kind: 'start' | 'done' | 'abort';
  jobId: string;
  attempt: number;
  pid: number;
  reason?: string;
}

/** Reads the effect log written by test/fixtures/handlers/effect-log.mjs. */
export function readEffects(path: string): Effect[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind, jobId, attempt, pid, reason] = line.split(' ');
      return {
        kind: kind as Effect['kind'],
        jobId: jobId!,
        attempt: Number(attempt),
        pid: Number(pid),
        ...(reason ? { reason } : {}),
      };
    });
}

/** How many times each job's effect (a finished run) happened. */
export function countDone(effects: Effect[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const effect of effects)
    if (effect.kind === 'done') counts.set(effect.jobId, (counts.get(effect.jobId) ?? 0) + 1);
  return counts;
}
