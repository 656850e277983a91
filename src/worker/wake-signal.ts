/**
 * A one-slot wake-up: `wake()` from anywhere makes the current (or next) `wait` return at once.
 * The producer sleeps on it between claims; enqueues, freed slots and notifications wake it.
 */
export class WakeSignal {
  #woken = false;
  #resolve: (() => void) | null = null;

  wake(): void {
    this.#woken = true;
    const resolve = this.#resolve;
    this.#resolve = null;
    resolve?.();
  }

  /** Returns true if woken, false if `ms` passed first. */
  async wait(ms: number): Promise<boolean> {
    if (this.#woken) {
      this.#woken = false;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const woken = await new Promise<boolean>((resolve) => {
      this.#resolve = () => resolve(true);
      timer = setTimeout(() => resolve(false), ms);
    });
    clearTimeout(timer);
    this.#resolve = null;
    this.#woken = false;
    return woken;
  }
}
