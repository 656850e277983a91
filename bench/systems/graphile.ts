/**
 * graphile-worker on PostgreSQL: addJob, addJobs (bulk), run() with `concurrency` and its
 * documented batching (localQueue, completeJobBatchDelay). A schema of its own per run, dropped after.
 */
import { Logger, makeWorkerUtils, run, type WorkerUtils } from 'graphile-worker';
import { PG_URL, dropSchema, pgDurability, uniqueName } from '../lib/servers.js';
import type { Payload, QueueSystem, Running, WorkOptions } from '../lib/types.js';

const TASK = 'bench';
/**
 * Its performance guide's batching: a local queue fetches (and locks) jobs in batches, and
 * completions are committed together. BENCH_GRAPHILE_LOCAL_QUEUE=-1 runs the default (unbatched) mode.
 */
const LOCAL_QUEUE = Number(process.env.BENCH_GRAPHILE_LOCAL_QUEUE ?? 100);
const COMPLETE_BATCH_DELAY = Number(process.env.BENCH_GRAPHILE_COMPLETE_DELAY ?? 0);
const silent = new Logger(() => () => {});

export class GraphileSystem implements QueueSystem {
  readonly name = 'graphile-worker';
  readonly config = [
    'enqueue: workerUtils.addJob; bulk: workerUtils.addJobs',
    `work: run({ concurrency, preset: { worker: { localQueue: { size: ${LOCAL_QUEUE} }, completeJobBatchDelay: ${COMPLETE_BATCH_DELAY} } } }) (its batching), silent logger, LISTEN/NOTIFY wake-ups`,
  ];
  #schema = '';
  #utils: WorkerUtils | null = null;

  async setup(): Promise<void> {
    await this.attach(uniqueName('gworker'));
    await this.utils.migrate();
  }

  handle(): unknown {
    return this.#schema;
  }

  async attach(handle: unknown): Promise<void> {
    this.#schema = handle as string;
    this.#utils = await makeWorkerUtils({
      connectionString: PG_URL,
      schema: this.#schema,
      logger: silent,
    });
  }

  get utils(): WorkerUtils {
    if (!this.#utils) throw new Error('graphile-worker: setup() first');
    return this.#utils;
  }

  async addOne(payload: Payload): Promise<void> {
    await this.utils.addJob(TASK, payload);
  }

  async addBulk(payloads: Payload[]): Promise<void> {
    await this.utils.addJobs(payloads.map((payload) => ({ identifier: TASK, payload })));
  }

  async work({ concurrency, handler, onCompleted }: WorkOptions): Promise<Running> {
    const runner = await run({
      connectionString: PG_URL,
      schema: this.#schema,
      concurrency,
      noHandleSignals: true,
      logger: silent,
      taskList: { [TASK]: async (payload) => handler(payload as Payload) },
      preset: {
        worker: {
          ...(LOCAL_QUEUE > 1 ? { localQueue: { size: LOCAL_QUEUE } } : {}),
          completeJobBatchDelay: COMPLETE_BATCH_DELAY,
        },
      },
    });
    runner.events.on('job:success', onCompleted);
    return { stop: () => runner.stop() };
  }

  async durability(): Promise<string> {
    return pgDurability();
  }

  async close(drop: boolean): Promise<void> {
    await this.#utils?.release();
    this.#utils = null;
    if (drop && this.#schema) await dropSchema(this.#schema);
  }
}
