import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { runWorkItemsKills } from './lib/work-items-kills.js';

describe('work_items.json writer killed mid-write (short form; the runner does 1,000)', () => {
  it("10 SIGKILLs: the file always parses, keeps other tools' keys, mirrors committed state; no temp files pile up", async () => {
    const report = await runWorkItemsKills(tempDir(), 10);
    process.stdout.write(`work_items kills: ${JSON.stringify(report)}\n`);
    expect(report.problems).toEqual([]);
    expect(report.kills).toBe(10);
    expect(report.parsed).toBe(10);
    expect(report.items).toBeGreaterThan(0);
    expect(report.tempFilesAtEnd).toBe(0);
  }, 120_000);
});
