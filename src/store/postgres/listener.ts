/**
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries). When the
 * connection drops (a PostgreSQL restart, a network cut), it logs, reconnects with backoff,
 * LISTENs again, and then tells every subscriber about every queue with ready jobs: the
 * notifications sent while it was away are lost, and the workers should look now rather than
 * at their next poll.
 */
import pg from 'pg';
import type { Logger } from './connection.js';

type Callback = (queue: string) => void;

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

export class Listener {
  readonly #connectionString: string;
  readonly #channel: string;
  readonly #log: Logger;
  readonly #readyQueues: () => Promise<string[]>;
  readonly #subscribers = new Set<Callback>();
  #client: pg.Client | null = null;
  #connecting: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #delay = FIRST_DELAY_MS;
  #stopped = false;

  constructor(options: {
    connectionString: string;
    channel: string;
    log: Logger;
    readyQueues: () => Promise<string[]>;
  }) {
    this.#connectionString = options.connectionString;
    this.#channel = options.channel;
    this.#log = options.log;
    this.#readyQueues = options.readyQueues;
  }

  /**
   * Resolves once LISTEN is in place, so no enqueue after it is missed; or, when PostgreSQL cannot
   * be reached, once that is logged: LISTEN is then retried in the background (the worker's
   * polling covers the gap, and every ready queue is reported when it succeeds).
   */
  async subscribe(callback: Callback): Promise<() => Promise<void>> {
    this.#subscribers.add(callback);
    this.#stopped = false;
    // A reconnect already scheduled will serve this subscriber too.
    if (!this.#client && !this.#timer) {
      this.#connecting ??= this.#connect(false).finally(() => (this.#connecting = null));
      await this.#connecting;
    }
    return async () => {
      this.#subscribers.delete(callback);
      if (this.#subscribers.size === 0) await this.stop();
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  #emit(queue: string): void {
    for (const callback of this.#subscribers) {
      try {
        callback(queue);
      } catch (error) {
        this.#log(`a listen callback threw: ${(error as Error).message}`);
      }
    }
  }

  async #connect(reconnecting: boolean): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#connectionString,
      keepAlive: true,
      application_name: 'holdfast-listen',
    });
    client.on('notification', (message) => {
      if (message.channel === this.#channel && message.payload) this.#emit(message.payload);
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`listen "${this.#channel}"`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      if (!reconnecting)
        this.#log(`LISTEN ${this.#channel}: ${(error as Error).message}; retrying with backoff`);
      this.#schedule();
      return;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#delay = FIRST_DELAY_MS;
    if (reconnecting) {
      this.#log(`LISTEN ${this.#channel}: reconnected`);
      const queues = await this.#readyQueues().catch(() => [] as string[]);
      for (const queue of queues) this.#emit(queue);
    }
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#client !== client) return;
    this.#client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.#stopped) return;
    this.#log(
      `LISTEN ${this.#channel}: connection lost (${error.message}); reconnecting with backoff`,
    );
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#timer) return;
    const delay = this.#delay;
    this.#delay = Math.min(MAX_DELAY_MS, this.#delay * 2);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#connect(true);
    }, delay);
    this.#timer.unref?.();
  }
}
