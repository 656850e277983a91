/** pg-boss on PostgreSQL: send, insert (bulk), work with batchSize; a schema of its own per run, dropped after. */
import PgBoss from 'pg-boss';
import { PG_URL, dropSchema, pgDurability, uniqueName } from '../lib/servers.js';
import type { Payload, QueueSystem, Running, WorkOptions } from '../lib/types.js';

const QUEUE = 'bench';
/** pg-boss polls; 0.5 s is the smallest interval it accepts (default 2 s). */
const POLL_S = 0.5;

export class PgBossSystem implements QueueSystem {
  readonly name = 'pg-boss';
  readonly config = [
    'enqueue: boss.send; bulk: boss.insert',
    `work: boss.work(name, { batchSize: concurrency, pollingIntervalSeconds: ${POLL_S} }) with the batch run concurrently (Promise.all)`,
  ];
  #schema = '';
  #boss: PgBoss | null = null;

  async setup(): Promise<void> {
    await this.attach(uniqueName('pgboss'));
    await this.boss.createQueue(QUEUE);
  }

  handle(): unknown {
    return this.#schema;
  }

  async attach(handle: unknown): Promise<void> {
    this.#schema = handle as string;
    this.#boss = new PgBoss({
      connectionString: PG_URL,
      schema: this.#schema,
      schedule: false,
      supervise: false,
    });
    this.#boss.on('error', (error: Error) => process.stderr.write(`pg-boss: ${error.message}\n`));
    await this.#boss.start();
  }

  get boss(): PgBoss {
    if (!this.#boss) throw new Error('pg-boss: setup() first');
    return this.#boss;
  }

  async addOne(payload: Payload): Promise<void> {
    await this.boss.send(QUEUE, payload);
  }

  async addBulk(payloads: Payload[]): Promise<void> {
    await this.boss.insert(payloads.map((data) => ({ name: QUEUE, data })));
  }

  async work({ concurrency, handler, onCompleted }: WorkOptions): Promise<Running> {
    await this.boss.work<Payload>(
      QUEUE,
      { batchSize: concurrency, pollingIntervalSeconds: POLL_S },
      async (jobs) => {
        await Promise.all(
          jobs.map(async (job) => {
            await handler(job.data);
            onCompleted();
          }),
        );
      },
    );
    return { stop: () => this.boss.offWork(QUEUE) };
  }

  async durability(): Promise<string> {
    return pgDurability();
  }

  async close(drop: boolean): Promise<void> {
    await this.#boss?.stop({ graceful: true, wait: true, timeout: 5_000 });
    this.#boss = null;
    if (drop && this.#schema) await dropSchema(this.#schema);
  }
}
