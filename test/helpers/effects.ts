import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLI, spawnTracked } from './processes.js';

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

const EFFECT_HANDLER = fileURLToPath(
  new URL('../fixtures/handlers/effect-log.mjs', import.meta.url),
);

/**
 * Starts `holdfast work <queue>` with the effect-log handler: each run takes `handlerMs`
 * (honouring its signal) and is recorded in `effects`. `exited` resolves with the exit code.
 */
export function startEffectWorker(options: {
  db: string;
  queue: string;
  effects: string;
  handlerMs?: number;
  args?: string[];
}): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawnTracked(
    process.execPath,
    [
      CLI,
      'work',
      options.queue,
      '--handler',
      EFFECT_HANDLER,
      '--db',
      options.db,
      '--quiet',
      ...(options.args ?? []),
    ],
    {
      env: {
        ...process.env,
        EFFECT_LOG: options.effects,
        HANDLER_MS: String(options.handlerMs ?? 0),
      },
    },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited };
}
