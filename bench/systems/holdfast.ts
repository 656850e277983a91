/** holdfast itself, on SQLite (a temp file) or PostgreSQL (a schema of its own), through the public API only. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobQueue } from '../../src/index.js';
import { PG_URL, dropSchema, pgDurability, uniqueName } from '../lib/servers.js';
import type { Payload, QueueSystem, Running, WorkOptions } from '../lib/types.js';

const QUEUE = 'bench';

/**
 * The built library, as users get it: a snapshot of the root's dist/ that main.ts takes at start
 * (HOLDFAST_BENCH_DIST), so a rebuild in the checkout during a run cannot break or change it.
 */
async function loadHoldfast(): Promise<typeof import('../../src/index.js')> {
  const dist = process.env.HOLDFAST_BENCH_DIST ?? new URL('../../dist/', import.meta.url).pathname;
  return (await import(
    pathToFileURL(join(dist, 'index.js')).href
  )) as typeof import('../../src/index.js');
}

interface Handle {
  db: string;
  schema?: string;
}

export class HoldfastSystem implements QueueSystem {
  readonly name: string;
  readonly config: string[];
  readonly #kind: 'sqlite' | 'pg';
  #queue: JobQueue | null = null;
  #handle: Handle | null = null;
  #folder: string | null = null;

  constructor(kind: 'sqlite' | 'pg') {
    this.#kind = kind;
    this.name = `holdfast-${kind}`;
    this.config = [
      'enqueue: queue.enqueue awaited; bulk: queue.enqueueMany (one transaction)',
      'work: queue.work(queue, handler, { concurrency, prefetch: 100 }) (its option for many short jobs, as graphile-worker runs with localQueue size 100 here), defaults otherwise (pollInterval 1 s, lease 30 s)',
    ];
  }

  get queue(): JobQueue {
    if (!this.#queue) throw new Error('holdfast: setup() or attach() first');
    return this.#queue;
  }

  async setup(): Promise<void> {
    if (this.#kind === 'sqlite') {
      this.#folder = mkdtempSync(join(tmpdir(), 'holdfast-bench-'));
      this.#handle = { db: join(this.#folder, 'queue.db') };
    } else {
      this.#handle = { db: PG_URL, schema: uniqueName('hfbench') };
    }
    await this.attach(this.#handle);
  }

  handle(): unknown {
    return this.#handle;
  }

  async attach(handle: unknown): Promise<void> {
    const { db, schema } = handle as Handle;
    this.#handle = handle as Handle;
    const { JobQueue } = await loadHoldfast();
    this.#queue = await JobQueue.open({ db, ...(schema ? { schema } : {}) });
  }

  async addOne(payload: Payload): Promise<void> {
    await this.queue.enqueue(QUEUE, payload);
  }

  async addBulk(payloads: Payload[]): Promise<void> {
    await this.queue.enqueueMany(payloads.map((payload) => ({ queue: QUEUE, payload })));
  }

  /** The scale workload's loads: enqueueMany inserts in chunks on both stores. */
  async load(payloads: Payload[]): Promise<void> {
    return this.addBulk(payloads);
  }

  async work({ concurrency, handler, onCompleted }: WorkOptions): Promise<Running> {
    this.queue.on('completed', onCompleted);
    // prefetch: claimed jobs wait here for a slot while there is a backlog (like graphile-worker's
    // localQueue in its configuration here); off by default in the library.
    const executor = this.queue.work<Payload>(QUEUE, (job) => handler(job.payload), {
      concurrency,
      prefetch: 100,
    });
    return {
      stop: async () => {
        await executor.stop();
        this.queue.off('completed', onCompleted);
      },
    };
  }

  async durability(): Promise<string> {
    if (this.#kind === 'sqlite')
      return 'SQLite WAL, synchronous=NORMAL (holdfast default; survives kill -9, not power loss; `durable: true` gives FULL)';
    return pgDurability();
  }

  async close(drop: boolean): Promise<void> {
    await this.#queue?.close();
    this.#queue = null;
    if (!drop) return;
    if (this.#folder) rmSync(this.#folder, { recursive: true, force: true });
    if (this.#handle?.schema) await dropSchema(this.#handle.schema);
  }
}
