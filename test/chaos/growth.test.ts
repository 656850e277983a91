/**
 * Growth, short form (the runner does a million jobs): a worker's memory stays flat across its
 * run, and the WAL stays bounded while the dashboard reads continuously during heavy writes.
 */
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { runWalBound, runWorkerMemory } from './lib/growth.js';

describe('growth', () => {
  it('one worker runs 10,000 jobs with flat memory (peak RSS reported)', async () => {
    const report = await runWorkerMemory(tempDir(), 10_000);
    process.stdout.write(`worker memory: ${JSON.stringify(report)}\n`);
    expect(report.samples).toBeGreaterThan(5);
    expect(report.peakRssMb).toBeLessThan(300);
    // A leak of 2 KB per job would add ~20 MB between the halves; V8's heap sizing alone moves
    // the peak by up to ~13 MB in runs this short (measured), so the margin is 25 MB here and the
    // million-job run of the runner is the real check.
    expect(report.secondHalfPeakMb).toBeLessThanOrEqual(report.firstHalfPeakMb + 25);
  }, 150_000);

  it('the dashboard reading continuously during heavy writes does not starve checkpoints: the WAL stays under 32 MB', async () => {
    const report = await runWalBound(tempDir(), 12);
    process.stdout.write(`wal bound: ${JSON.stringify(report)}\n`);
    expect(report.dashboardRequests).toBeGreaterThan(50);
    expect(report.jobsCompleted).toBeGreaterThan(1_000);
    expect(report.maxWalMb).toBeLessThan(32);
  }, 120_000);
});
