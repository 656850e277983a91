/** BullMQ on Redis: add, addBulk, a Worker with `concurrency`. A key prefix of its own per run, deleted after. */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { deleteKeys, redisOptions, uniqueName } from '../lib/servers.js';
import type { Payload, QueueSystem, Running, WorkOptions } from '../lib/types.js';

const QUEUE = 'bench';

export class BullmqSystem implements QueueSystem {
  readonly name = 'bullmq';
  readonly config = [
    'enqueue: queue.add; bulk: queue.addBulk; default job options (completed jobs kept, like holdfast)',
    'work: new Worker(name, processor, { concurrency }); a key prefix per run',
  ];
  #prefix = '';
  #queue: Queue | null = null;
  #redis: Redis | null = null;

  #connection() {
    return { ...redisOptions(), maxRetriesPerRequest: null };
  }

  async setup(): Promise<void> {
    await this.attach(uniqueName('hfbench'));
  }

  handle(): unknown {
    return this.#prefix;
  }

  async attach(handle: unknown): Promise<void> {
    this.#prefix = handle as string;
    this.#redis = new Redis(this.#connection());
    this.#queue = new Queue(QUEUE, { connection: this.#connection(), prefix: this.#prefix });
    await this.#queue.waitUntilReady();
  }

  get queue(): Queue {
    if (!this.#queue) throw new Error('bullmq: setup() first');
    return this.#queue;
  }

  async addOne(payload: Payload): Promise<void> {
    await this.queue.add('job', payload);
  }

  async addBulk(payloads: Payload[]): Promise<void> {
    await this.queue.addBulk(payloads.map((data) => ({ name: 'job', data })));
  }

  async work({ concurrency, handler, onCompleted }: WorkOptions): Promise<Running> {
    const worker = new Worker(QUEUE, async (job) => handler(job.data as Payload), {
      connection: this.#connection(),
      prefix: this.#prefix,
      concurrency,
    });
    worker.on('completed', onCompleted);
    worker.on('error', (error) => process.stderr.write(`bullmq worker: ${error.message}\n`));
    await worker.waitUntilReady();
    return { stop: () => worker.close() };
  }

  async durability(): Promise<string> {
    const config = async (key: string) =>
      ((await this.#redis!.config('GET', key)) as string[])[1] ?? '?';
    const [appendonly, appendfsync, save] = await Promise.all([
      config('appendonly'),
      config('appendfsync'),
      config('save'),
    ]);
    const version = /redis_version:(\S+)/.exec(await this.#redis!.info('server'))?.[1] ?? '?';
    return `Redis ${version} appendonly=${appendonly}${appendonly === 'yes' ? ` appendfsync=${appendfsync}` : ''}, save="${save}"${appendonly === 'no' ? ' (an acknowledged job can be lost on a Redis crash)' : ''}`;
  }

  async close(drop: boolean): Promise<void> {
    await this.#queue?.close();
    this.#queue = null;
    if (drop && this.#redis && this.#prefix) await deleteKeys(this.#redis, `${this.#prefix}:*`);
    await this.#redis?.quit();
    this.#redis = null;
  }
}
