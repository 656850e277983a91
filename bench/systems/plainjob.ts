/** plainjob on better-sqlite3: the API its README shows (add, addMany, defineWorker). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { better, defineQueue, defineWorker, type Queue } from 'plainjob';
import type { Payload, QueueSystem, Running, WorkOptions } from '../lib/types.js';

const TYPE = 'bench';
/** plainjob's worker sleeps this long when it finds nothing (its default is 1 s; its name is spelled so). */
const POLL_MS = 10;
const silent = { error() {}, warn() {}, info() {}, debug() {} };

export class PlainjobSystem implements QueueSystem {
  readonly name = 'plainjob';
  readonly config = [
    'enqueue: queue.add; bulk: queue.addMany',
    `work: one defineWorker per slot (a worker runs one job at a time), pollIntervall ${POLL_MS} ms (default 1 s), silent logger`,
  ];
  #folder: string | null = null;
  #file: string | null = null;
  #db: Database.Database | null = null;
  #queue: Queue | null = null;

  async setup(): Promise<void> {
    this.#folder = mkdtempSync(join(tmpdir(), 'plainjob-bench-'));
    await this.attach(join(this.#folder, 'queue.db'));
  }

  handle(): unknown {
    return this.#file;
  }

  async attach(handle: unknown): Promise<void> {
    this.#file = handle as string;
    this.#db = new Database(this.#file);
    this.#queue = defineQueue({ connection: better(this.#db), logger: silent });
  }

  get queue(): Queue {
    if (!this.#queue) throw new Error('plainjob: setup() first');
    return this.#queue;
  }

  async addOne(payload: Payload): Promise<void> {
    this.queue.add(TYPE, payload);
  }

  async addBulk(payloads: Payload[]): Promise<void> {
    this.queue.addMany(TYPE, payloads);
  }

  async work({ concurrency, handler, onCompleted }: WorkOptions): Promise<Running> {
    const workers = Array.from({ length: concurrency }, () =>
      defineWorker(TYPE, (job) => handler(JSON.parse(job.data) as Payload), {
        queue: this.queue,
        pollIntervall: POLL_MS,
        logger: silent,
        onCompleted,
      }),
    );
    const loops = workers.map((worker) => worker.start());
    return {
      stop: async () => {
        await Promise.all(workers.map((worker) => worker.stop()));
        await Promise.all(loops);
      },
    };
  }

  async durability(): Promise<string> {
    const mode = this.#db!.pragma('journal_mode', { simple: true });
    const sync = this.#db!.pragma('synchronous', { simple: true });
    const names: Record<number, string> = { 0: 'OFF', 1: 'NORMAL', 2: 'FULL', 3: 'EXTRA' };
    return `SQLite ${String(mode).toUpperCase()}, synchronous=${names[sync as number] ?? sync} (set by plainjob)`;
  }

  async close(drop: boolean): Promise<void> {
    this.#queue?.close();
    this.#queue = null;
    if (drop && this.#folder) rmSync(this.#folder, { recursive: true, force: true });
  }
}
