import { EventEmitter } from 'node:events';
import type { Job, JobProgress } from './types.js';

/** Events of a JobQueue, with their arguments. Emitted in the process where they happen. */
export interface QueueEvents {
  enqueued: [job: Job];
  started: [job: Job, workerId: string];
  progress: [job: Job, progress: JobProgress];
  completed: [job: Job, result: unknown, durationMs: number];
  failed: [job: Job, error: Error, durationMs: number];
  retrying: [job: Job, error: Error, runAt: Date];
  cancelled: [job: Job];
  /** This process lost the lease of a running job (it stalled past it); the attempt's writes are fenced off. */
  'lease-lost': [job: Job];
  /** The rescuer found a job whose worker's lease expired, and recorded its attempt as lost. */
  rescued: [jobId: string, queue: string, status: 'retrying' | 'failed'];
  /** A background error (store unreachable, busy database) that the worker will retry. */
  error: [error: Error];
}

type Listener<A extends unknown[]> = (...args: A) => void;

/** A typed EventEmitter: `on('completed', (job, result) => ...)` is checked. */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  /** Emits; an `error` event with no listener is dropped rather than thrown (background errors are retried). */
  emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    if (event === 'error' && this.#emitter.listenerCount('error') === 0) return false;
    return this.#emitter.emit(event, ...args);
  }
}
