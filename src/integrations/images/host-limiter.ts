/**
 * Politeness per host: at most `perHost` requests at once to one host, and at least `delayMs`
 * between the starts of two requests to it. Shared by every job one extractor runs, so four
 * properties listed on the same site do not hit it four times at once.
 */
export class HostLimiter {
  readonly #perHost: number;
  readonly #delayMs: number;
  readonly #hosts = new Map<
    string,
    { active: number; lastStart: number; waiters: Array<() => void> }
  >();

  constructor(perHost: number, delayMs: number) {
    this.#perHost = perHost;
    this.#delayMs = delayMs;
  }

  /** Runs `task` when the host has a free slot and its delay has passed. */
  async run<T>(host: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(host, signal);
    try {
      return await task();
    } finally {
      this.#release(host);
    }
  }

  async #acquire(host: string, signal?: AbortSignal): Promise<void> {
    let state = this.#hosts.get(host);
    if (!state) {
      state = { active: 0, lastStart: 0, waiters: [] };
      this.#hosts.set(host, state);
    }
    while (state.active >= this.#perHost) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          state!.waiters.splice(state!.waiters.indexOf(wake), 1);
          reject(signal!.reason);
        };
        state!.waiters.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    state.active++;
    const wait = state.lastStart + this.#delayMs - Date.now();
    state.lastStart = Math.max(Date.now(), state.lastStart + this.#delayMs);
    if (wait > 0)
      await sleep(wait, signal).catch((error: unknown) => {
        this.#release(host);
        throw error;
      });
  }

  #release(host: string): void {
    const state = this.#hosts.get(host);
    if (!state) return;
    state.active--;
    const next = state.waiters.shift();
    if (next) next();
    else if (state.active === 0 && Date.now() - state.lastStart > this.#delayMs)
      this.#hosts.delete(host);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
