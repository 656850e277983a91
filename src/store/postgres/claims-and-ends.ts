/**
 * Claims and attempt ends on PostgreSQL: which statements run, in which transaction. The SQL is
 * in sql/claims.ts (plain queues), sql/flow.ts (queues with limits) and sql/batch-callbacks.ts.
 */
import { isTerminal } from '../../states.js';
import type { AttemptEnd, ClaimedJob, ClaimParams, EndsAndClaims } from '../store.js';
import { inTransaction, type Connection, type Queryable } from './connection.js';
import * as batchCallbacks from './sql/batch-callbacks.js';
import * as claims from './sql/claims.js';
import { notifyQueues } from './sql/enqueue.js';
import * as flow from './sql/flow.js';

export class Claims {
  readonly #db: Connection;
  readonly #s: string;
  readonly #channel: string;

  constructor(db: Connection, s: string, channel: string) {
    this.#db = db;
    this.#s = s;
    this.#channel = channel;
  }

  async claim(params: ClaimParams): Promise<ClaimedJob[]> {
    if (params.limit <= 0 || params.queues.length === 0) return [];
    return this.#db.run('claim', false, async (c) => {
      // The plain claim leaves out paused and limited queues by their settings at this moment
      // (sql/claims.ts); queues with limits are claimed by sql/flow.ts, one transaction each (see
      // there for why that is exact across processes).
      const claimed = await claims.claimJobs(c, this.#s, params);
      const limited = await this.#limitedQueues(c, params.queues);
      return [...claimed, ...(await this.#claimLimited(c, limited, params, claimed.length))];
    });
  }

  async #claimLimited(
    c: Queryable,
    limited: string[],
    params: ClaimParams,
    claimedSoFar: number,
  ): Promise<ClaimedJob[]> {
    const claimed: ClaimedJob[] = [];
    for (const queue of limited) {
      const limit = params.limit - claimedSoFar - claimed.length;
      if (limit <= 0) break;
      claimed.push(
        ...(await inTransaction(c, () =>
          flow.claimLimited(c, this.#s, queue, { ...params, limit }),
        )),
      );
    }
    return claimed;
  }

  #limited: { at: number; queues: string[] } | null = null;

  /** The queue settings changed in this process: read them again at the next claim. */
  forgetLimits(): void {
    this.#limited = null;
  }

  /**
   * Which of these queues have limits, re-read at most once a second: a lookup per claim cost
   * 0.5 of a 2.3 ms claim on the loaded machine.
   */
  async #limitedQueues(client: Queryable, queues: string[]): Promise<string[]> {
    if (this.#limited === null || Date.now() - this.#limited.at > 1_000) {
      this.#limited = { at: Date.now(), queues: await flow.limitedQueues(client, this.#s) };
    }
    return this.#limited.queues.filter((queue) => queues.includes(queue));
  }

  async finish(ends: AttemptEnd[]): Promise<boolean[]> {
    if (ends.length === 0) return [];
    // Ends that can complete no batch (terminal ends of jobs outside a batch, or not terminal)
    // are the one statement they always were. Otherwise one transaction: a batch's follow-up job
    // (sql/batch-callbacks.ts) exists if and only if the end that completed the batch does.
    if (!mayCompleteBatch(ends)) {
      return this.#db.run('finish', true, (c) => claims.finishAttempts(c, this.#s, ends));
    }
    return this.#db.transaction('finish', true, (c) => this.#finishIn(c, ends));
  }

  /** Inside the caller's transaction: the ends, then the follow-up jobs of batches they complete. */
  async #finishIn(c: Queryable, ends: AttemptEnd[]): Promise<boolean[]> {
    const applied = await claims.finishAttempts(c, this.#s, ends);
    // batchId null: the worker knows the job is in no batch, so it can complete none.
    const terminal = ends
      .filter((end, index) => applied[index] && isTerminal(end.status) && end.batchId !== null)
      .map((end) => end.jobId);
    const queues = await batchCallbacks.completeBatches(c, this.#s, terminal);
    await notifyQueues(c, this.#channel, queues);
    return applied;
  }

  /**
   * One commit where finish then claim cost two. Queues with limits are claimed afterwards in
   * their own transactions (sql/flow.ts), as in `claim`.
   */
  async finishAndClaim(ends: AttemptEnd[], claim: ClaimParams): Promise<EndsAndClaims> {
    if (ends.length === 0) return { applied: [], claimed: await this.claim(claim) };
    if (claim.limit <= 0 || claim.queues.length === 0)
      return { applied: await this.finish(ends), claimed: [] };
    return this.#db.run('finishAndClaim', false, async (c) => {
      // One statement (no BEGIN/COMMIT round trips) unless a batch may complete: its follow-up
      // job is enqueued in the same transaction, by more statements.
      const { applied, claimed } = mayCompleteBatch(ends)
        ? await inTransaction(c, async () => ({
            applied: await this.#finishIn(c, ends),
            claimed: await claims.claimJobs(c, this.#s, claim),
          }))
        : await claims.finishAndClaimJobs(c, this.#s, ends, claim);
      const limited = await this.#limitedQueues(c, claim.queues);
      return {
        applied,
        claimed: [...claimed, ...(await this.#claimLimited(c, limited, claim, claimed.length))],
      };
    });
  }
}

/** Terminal ends of jobs not known to be outside every batch: a batch callback may fire. */
function mayCompleteBatch(ends: AttemptEnd[]): boolean {
  return ends.some((end) => isTerminal(end.status) && end.batchId !== null);
}
