/** Shared by the flow-control tests: the store under test (SQLite file or PostgreSQL schema) and worker processes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';
import { dropSchema, randomSchema, urlWithSchema } from '../postgres/pg-helpers.js';

const CHILD = fileURLToPath(new URL('./flow-child.ts', import.meta.url));

export interface FlowDb {
  name: 'sqlite' | 'postgres';
  /** A fresh database for one test, and how to drop it. */
  create(): Promise<{ db: string; drop(): Promise<void> }>;
}

export const FLOW_DBS: FlowDb[] = [
  {
    name: 'sqlite',
    create: async () => ({ db: join(tempDir(), 'queue.db'), drop: async () => undefined }),
  },
  {
    name: 'postgres',
    create: async () => {
      const schema = randomSchema('flow');
      return { db: urlWithSchema(schema), drop: () => dropSchema(schema) };
    },
  },
];

export interface FlowEvent {
  e: 'start' | 'end';
  key: string | null;
  id: string;
  pid: number;
  t: number;
}

export function startFlowWorker(args: {
  db: string;
  queue: string;
  concurrency: number;
  events: string;
  handlerMs?: number;
  barrier?: string;
  exitWhenEmpty?: boolean;
}) {
  const child = spawnTracked(
    process.execPath,
    [
      '--import',
      'tsx',
      CHILD,
      args.db,
      args.queue,
      String(args.concurrency),
      args.events,
      String(args.handlerMs ?? 0),
      ...(args.barrier ? [args.barrier] : []),
    ],
    { env: { ...process.env, EXIT_WHEN_EMPTY: args.exitWhenEmpty ? '1' : '0' } },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, stderr: () => stderr };
}

export function readEvents(file: string): FlowEvent[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FlowEvent);
}

/** Most handlers of one key running at once, from start/end times (an end at the same instant counts first). */
export function maxOverlapByKey(events: FlowEvent[]): Map<string, number> {
  const sorted = [...events].sort((a, b) => a.t - b.t || (a.e === 'end' ? -1 : 1));
  const now = new Map<string, number>();
  const max = new Map<string, number>();
  for (const event of sorted) {
    if (event.key === null) continue;
    const n = (now.get(event.key) ?? 0) + (event.e === 'start' ? 1 : -1);
    now.set(event.key, n);
    max.set(event.key, Math.max(max.get(event.key) ?? 0, n));
  }
  return max;
}
