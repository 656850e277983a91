/**
 * Runs ONE (system, workload) on a fresh store and prints its result as the last stdout line
 * (`@@RESULT {...}`), with `@@META` (durability, config) before it. Everything else goes to stderr.
 * Usage: child.ts <system> <workload> <settings-json>
 */
import { systemInfo, type Workload } from './systems/index.js';
import type { Floor } from './systems/raw.js';
import { log } from './lib/stats.js';
import type { QueueSystem, Result } from './lib/types.js';
import * as w from './lib/workloads.js';

const SCALE: Record<string, number> = {
  'scale-10k': 10_000,
  'scale-100k': 100_000,
  'scale-1m': 1_000_000,
};

async function run(
  name: string,
  workload: Workload,
  settings: w.Settings,
): Promise<Partial<Result> | { passes: Array<Partial<Result>> }> {
  const info = systemInfo(name);
  const made = await info.make();
  if (workload === 'floor-tx1' || workload === 'floor-b100') {
    const floor = made as Floor;
    print('@@META', { durability: await floor.durability(), config: floor.config });
    return w.floor(floor, settings, workload === 'floor-tx1' ? 1 : 100);
  }
  const system = made as QueueSystem;
  await system.setup();
  try {
    print('@@META', { durability: await system.durability(), config: system.config });
    switch (workload) {
      case 'enqueue':
        return await w.enqueue(system, settings);
      case 'bulk':
        return await w.bulk(system, settings);
      case 'drain-c1':
        return await w.drain(system, settings, 1);
      case 'drain-c20':
        return await w.drain(system, settings, 20);
      case 'drain-5ms-c20':
        return await w.drain(system, settings, 20, 5);
      case 'pickup':
        return await w.pickup(system, settings);
      case 'pickup-xproc':
        return await w.pickupCrossProcess(system, settings, name);
      case 'procs4':
        return await w.procs(system, settings, name);
      default:
        if (workload in SCALE)
          return {
            passes: await w.scale(system, settings, name, SCALE[workload]!, settings.passes ?? 1),
          };
        throw new Error(`unknown workload ${workload}`);
    }
  } finally {
    await system.close(true);
  }
}

function print(tag: string, value: unknown): void {
  process.stdout.write(`${tag} ${JSON.stringify(value)}\n`);
}

const [name, workload, settingsJson] = process.argv.slice(2);
try {
  const result = await run(name!, workload as Workload, JSON.parse(settingsJson!) as w.Settings);
  print('@@RESULT', result);
  process.exit(0);
} catch (error) {
  log(`  ${name} ${workload}: ${(error as Error).stack ?? String(error)}`);
  print('@@RESULT', { error: (error as Error).message.split('\n')[0] });
  process.exit(1);
}
