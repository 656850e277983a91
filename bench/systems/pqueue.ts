/** p-queue: an in-memory promise queue, the ceiling with no durability at all. */
import PQueue from 'p-queue';
import type { Payload, QueueSystem, Running, WorkOptions } from '../lib/types.js';

export class PQueueSystem implements QueueSystem {
  readonly name = 'p-queue';
  readonly config = ['in memory: jobs added to a paused PQueue({ concurrency }), then started'];
  #pending: Payload[] = [];
  #live: ((payload: Payload) => void) | null = null;

  async setup(): Promise<void> {}
  handle(): unknown {
    return null;
  }
  async attach(): Promise<void> {
    throw new Error('p-queue lives in one process');
  }

  async addOne(payload: Payload): Promise<void> {
    if (this.#live) this.#live(payload);
    else this.#pending.push(payload);
  }

  async addBulk(payloads: Payload[]): Promise<void> {
    for (const payload of payloads) await this.addOne(payload);
  }

  async work({ concurrency, handler, onCompleted }: WorkOptions): Promise<Running> {
    const queue = new PQueue({ concurrency, autoStart: false });
    const add = (payload: Payload) => {
      void queue.add(async () => {
        await handler(payload);
        onCompleted();
      });
    };
    for (const payload of this.#pending) add(payload);
    this.#pending = [];
    this.#live = add;
    queue.start();
    return {
      stop: async () => {
        this.#live = null;
        queue.clear();
        await queue.onIdle();
      },
    };
  }

  async durability(): Promise<string> {
    return 'none (in memory)';
  }

  async close(): Promise<void> {}
}
