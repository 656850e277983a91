import { describe, expect, it } from 'vitest';
import { renderBar } from '../../src/progress/terminal-progress.js';
import type { BatchStats } from '../../src/types.js';

const base: BatchStats = {
  id: 'b1',
  name: 'homes',
  queue: 'images',
  createdAt: new Date(),
  counts: { pending: 15, running: 2, retrying: 1, completed: 10, failed: 2, cancelled: 0 },
  total: 30,
  ratePerSecond: 2.44,
  etaMs: 7_400,
  firstStartedAt: new Date(),
  lastFinishedAt: null,
};

describe('renderBar', () => {
  it('shows done, failed, rate and ETA', () => {
    expect(renderBar(base)).toBe(
      '[##########..............] 10/30 done, 2 failed, 2.4/s, ETA 7.4s',
    );
  });

  it('shows unknowns as dashes and a finished batch as full', () => {
    expect(renderBar({ ...base, ratePerSecond: null, etaMs: null })).toMatch(/, -, ETA -$/);
    const done = {
      ...base,
      counts: { ...base.counts, pending: 0, running: 0, retrying: 0, completed: 28 },
      etaMs: 0,
    };
    expect(renderBar(done)).toBe('[########################] 28/30 done, 2 failed, 2.4/s, ETA 0s');
  });
});
