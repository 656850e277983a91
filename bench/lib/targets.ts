/** The targets, checked on the medians of one run of the bench (ratios in the same run). */
import { formatFigure } from './stats.js';
import type { Result } from './types.js';

export interface TargetCheck {
  target: string;
  /** null: a figure it needs is missing (system skipped or failed). */
  met: boolean | null;
  detail: string;
}

type Figures = Map<string, Result>;

const fmt = (n: number | undefined, unit = '') =>
  n === undefined || !Number.isFinite(n) ? '?' : `${formatFigure(n)}${unit}`;

export function checkTargets(results: Result[]): TargetCheck[] {
  const figures: Figures = new Map(
    results.filter((r) => !r.error).map((r) => [`${r.system}|${r.workload}`, r]),
  );
  // A figure that ran and failed (a worker that could not finish) misses its target; one that
  // never ran (system skipped) leaves it open.
  const failed = new Map(
    results
      .filter((r) => r.error && r.jobs_per_s === undefined)
      .map((r) => [`${r.system}|${r.workload}`, r.error!]),
  );
  const get = (system: string, workload: string) => figures.get(`${system}|${workload}`);
  const rate = (system: string, workload: string) => get(system, workload)?.jobs_per_s;
  const best = (...values: Array<number | undefined>) => {
    const known = values.filter((v): v is number => v !== undefined);
    return known.length ? Math.max(...known) : undefined;
  };
  const checks: TargetCheck[] = [];
  const check = (
    target: string,
    left: number | undefined,
    right: number | undefined,
    op: '>=' | '<=',
    detail: string,
  ) => {
    const met =
      left === undefined || right === undefined
        ? null
        : op === '>='
          ? left >= right
          : left <= right;
    checks.push({ target, met, detail });
  };

  const hs = rate('holdfast-sqlite', 'drain-c20');
  const peerDrain = best(
    rate('plainjob', 'drain-c1'),
    rate('plainjob', 'drain-c20'),
    rate('bullmq', 'drain-c1'),
    rate('bullmq', 'drain-c20'),
  );
  check(
    'holdfast-sqlite drain-c20 >= 2x the better of plainjob and BullMQ (best of their c1/c20)',
    hs,
    peerDrain === undefined ? undefined : 2 * peerDrain,
    '>=',
    `${fmt(hs)} vs 2 x ${fmt(peerDrain)} = ${fmt(peerDrain && 2 * peerDrain)} jobs/s`,
  );
  const floor = rate('raw-sqlite', 'floor-b100');
  check(
    'holdfast-sqlite drain-c20 >= 1/3 of raw-sqlite floor-b100',
    hs,
    floor === undefined ? undefined : floor / 3,
    '>=',
    `${fmt(hs)} vs ${fmt(floor)} / 3 = ${fmt(floor && floor / 3)} jobs/s`,
  );
  for (const workload of ['enqueue', 'bulk']) {
    const ours = rate('holdfast-sqlite', workload);
    const theirs = rate('plainjob', workload);
    check(
      `holdfast-sqlite ${workload} >= plainjob's`,
      ours,
      theirs,
      '>=',
      `${fmt(ours)} vs ${fmt(theirs)} jobs/s`,
    );
  }
  const hp = rate('holdfast-pg', 'drain-c20');
  const graphile = best(rate('graphile-worker', 'drain-c1'), rate('graphile-worker', 'drain-c20'));
  check(
    "holdfast-pg drain-c20 >= graphile-worker's (its batched configuration)",
    hp,
    graphile,
    '>=',
    `${fmt(hp)} vs ${fmt(graphile)} jobs/s`,
  );
  const boss = best(rate('pg-boss', 'drain-c1'), rate('pg-boss', 'drain-c20'));
  check(
    'holdfast-pg drain-c20 >= 10x pg-boss',
    hp,
    boss === undefined ? undefined : boss * 10,
    '>=',
    `${fmt(hp)} vs 10 x ${fmt(boss)} jobs/s`,
  );
  const p50 = (system: string, workload = 'pickup') => get(system, workload)?.p50_ms;
  check(
    "holdfast-sqlite pickup p50 <= BullMQ's",
    p50('holdfast-sqlite'),
    p50('bullmq'),
    '<=',
    `${fmt(p50('holdfast-sqlite'), ' ms')} vs ${fmt(p50('bullmq'), ' ms')}`,
  );
  check(
    "holdfast-pg pickup p50 <= graphile-worker's",
    p50('holdfast-pg'),
    p50('graphile-worker'),
    '<=',
    `${fmt(p50('holdfast-pg'), ' ms')} vs ${fmt(p50('graphile-worker'), ' ms')}`,
  );
  const xproc = p50('holdfast-sqlite', 'pickup-xproc');
  check(
    'holdfast-sqlite pickup-xproc p50 <= 25 ms',
    xproc,
    xproc === undefined ? undefined : 25,
    '<=',
    `${fmt(xproc, ' ms')}`,
  );
  for (const system of ['holdfast-sqlite', 'holdfast-pg']) {
    const fraction = get(system, 'drain-5ms-c20')?.fraction_of_ideal;
    check(
      `${system} drain-5ms-c20 >= 90% of ideal (4,000 jobs/s)`,
      fraction,
      fraction === undefined ? undefined : 0.9,
      '>=',
      `${fmt(fraction === undefined ? undefined : fraction * 100, '%')}`,
    );
  }
  for (const system of ['holdfast-sqlite', 'holdfast-pg']) {
    const small = get(system, 'scale-10k');
    const large = get(system, 'scale-1m');
    if (!small && !large && !failed.has(`${system}|scale-1m`)) continue;
    const largeError = failed.get(`${system}|scale-1m`);
    if (largeError && small) {
      checks.push({
        target: `${system} scale: claim throughput at 1,000,000 waiting within 20% of 10,000`,
        met: false,
        detail: `1,000,000 waiting: ${largeError}; ${fmt(small.jobs_per_s)} jobs/s at 10,000`,
      });
      checks.push({
        target: `${system} scale: worker RSS flat (1,000,000 vs 10,000 waiting)`,
        met: null,
        detail: 'no figure at 1,000,000',
      });
      continue;
    }
    check(
      `${system} scale: claim throughput at 1,000,000 waiting within 20% of 10,000`,
      large?.jobs_per_s,
      small?.jobs_per_s === undefined ? undefined : small.jobs_per_s * 0.8,
      '>=',
      `${fmt(large?.jobs_per_s)} vs ${fmt(small?.jobs_per_s)} jobs/s`,
    );
    // Flat: within 20% (or 16 MB, the noise of a V8 heap) of the RSS at 10,000.
    const limit =
      small?.rss_mb === undefined ? undefined : Math.max(small.rss_mb * 1.2, small.rss_mb + 16);
    check(
      `${system} scale: worker RSS flat (1,000,000 vs 10,000 waiting)`,
      large?.rss_mb,
      limit,
      '<=',
      `${fmt(large?.rss_mb, ' MB')} vs ${fmt(small?.rss_mb, ' MB')}`,
    );
  }
  return checks;
}
