/**
 * A child process for the crash tests: updates work_items.json in a loop through the real
 * WorkItemsFile, printing `wrote <n>` after each write, until killed or `count` writes are done.
 * Usage: node --import tsx writer-child.ts <path> <name> <count> <items>
 */
import { WorkItemsFile } from '../../src/progress/work-items-file.js';

const [path, name = 'child', count = '1000000', size = '2000'] = process.argv.slice(2);
const file = new WorkItemsFile(path!, { warn: (message) => process.stderr.write(`${message}\n`) });
for (let n = 1; n <= Number(count); n++) {
  await file.update(async () => {
    const items = new Map<string, unknown>();
    // Large enough (a few hundred KB) that a kill often lands in the middle of a write.
    for (let i = 0; i < Number(size); i++)
      items.set(`${name}-${i}`, { n, status: 'running', note: 'x'.repeat(100) });
    items.set(`${name}-last`, { n });
    return { summary: { writer: name, n }, items };
  });
  process.stdout.write(`wrote ${n}\n`);
}
