/**
 * `holdfast migrate-store --from <sqlite path> --to <postgres url>`: copy a whole queue (every
 * job, batch and attempt history) from one store to another, e.g. when it outgrows one machine.
 *
 * Safe to re-run: rows whose ids already exist in the target are skipped, so an interrupted
 * copy resumes and a finished one copies nothing. Ids are kept (links and logs stay valid) and
 * the target's id sequence is moved past them. The source must be still: running jobs with live
 * leases mean workers are at work, and their later writes would be lost to the target.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { JobQueue } from '../../client.js';
import { JOB_STATUSES, emptyCounts } from '../../states.js';
import { isPostgresUrl } from '../../store/open.js';
import type { JobRecord, Store } from '../../store/store.js';
import type { StatusCounts } from '../../types.js';
import { optionalArg, parseIntegerArg } from '../args.js';
import { StoreError } from '../../errors.js';
import { UsageError } from '../errors.js';
import { print, table } from '../output.js';

interface Flags {
  from?: string;
  to?: string;
  schema?: string;
  pageSize?: string;
}

export function registerMigrateStore(program: Command): void {
  program
    .command('migrate-store')
    .description(
      'copy every job, batch and attempt history from one store to another (SQLite to PostgreSQL)',
    )
    .option('--from <path|url>', 'the store to copy from, e.g. ./.holdfast/queue.db (required)')
    .option('--to <url|path>', 'the store to copy into, e.g. postgres://user@host/db (required)')
    .option(
      '--schema <name>',
      'PostgreSQL schema of the target (default: from the URL, else holdfast)',
    )
    .option('--page-size <n>', 'jobs copied per transaction (default 500)')
    .action(async (flags: Flags) => {
      const { from, to } = checkFlags(flags);
      const pageSize =
        optionalArg(flags.pageSize, parseIntegerArg, '--page-size', 1, 10_000) ?? 500;
      const source = await JobQueue.open({ db: from });
      try {
        await refuseLiveLeases(source.store, from);
        const target = await JobQueue.open({
          db: to,
          ...(flags.schema ? { schema: flags.schema } : {}),
        });
        try {
          await refuseForeignJobs(source.store, target.store, pageSize);
          await copy(source.store, target.store, pageSize);
          const ok = await verify(source, target);
          if (!ok) process.exitCode = 1;
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    });
}

function checkFlags(flags: Flags): { from: string; to: string } {
  if (!flags.from)
    throw new UsageError('migrate-store needs --from <sqlite path>, the store to copy from');
  if (!flags.to)
    throw new UsageError('migrate-store needs --to <postgres url>, the store to copy into');
  if (flags.from === flags.to)
    throw new UsageError('--from and --to name the same store; give two different ones');
  // Opening a missing SQLite path would create an empty database and "copy" nothing.
  if (!isPostgresUrl(flags.from) && !existsSync(flags.from.replace(/^file:\/\//i, ''))) {
    throw new UsageError(
      `--from ${JSON.stringify(flags.from)} does not exist; give the path of the SQLite database to copy`,
    );
  }
  return { from: flags.from, to: flags.to };
}

async function refuseLiveLeases(store: Store, from: string): Promise<void> {
  const now = (await store.now()).getTime();
  const live = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listJobs({
      status: 'running',
      limit: 1_000,
      ...(after ? { after } : {}),
    });
    live.push(
      ...page.filter((job) => job.leaseExpiresAt !== null && job.leaseExpiresAt.getTime() > now),
    );
    if (page.length < 1_000) break;
    after = page[page.length - 1]!.id;
  }
  if (live.length === 0) return;
  const last = new Date(Math.max(...live.map((job) => job.leaseExpiresAt!.getTime())));
  const workers = [...new Set(live.map((job) => job.workerId))].slice(0, 3).join(', ');
  throw new StoreError(
    `${from} has ${live.length} running job${live.length === 1 ? '' : 's'} with live leases (workers ${workers}); ` +
      `stop the workers first (SIGTERM lets them finish or hand their jobs back) or wait until the leases expire ` +
      `(the last at ${last.toISOString()}), then run migrate-store again. Nothing was copied.`,
  );
}

function sameJob(a: JobRecord, b: JobRecord): boolean {
  return (
    a.queue === b.queue &&
    a.key === b.key &&
    a.payload === b.payload &&
    a.createdAt.getTime() === b.createdAt.getTime()
  );
}

/**
 * Existing ids are skipped so that a re-run is a no-op; that is only right when the job under
 * that id IS the source's job (an earlier copy). A target used on its own holds other jobs under
 * the same ids, and skipping them would lose the source's: refuse before copying anything.
 */
async function refuseForeignJobs(source: Store, target: Store, pageSize: number): Promise<void> {
  if (!source.exportRows || !target.exportRows) return;
  const first = await target.exportRows({ afterId: null, limit: 1 });
  if (first.jobs.length === 0) return; // an empty target: nothing to collide with
  // Walk both stores in id order side by side; `theirs` holds the target's jobs not yet compared.
  let sourceAfter: string | null = null;
  let targetAfter: string | null = null;
  let targetDone = false;
  const theirs = new Map<string, JobRecord>();
  for (;;) {
    const rows = await source.exportRows({ afterId: sourceAfter, limit: pageSize });
    if (rows.jobs.length === 0) return;
    const last = Number(rows.jobs[rows.jobs.length - 1]!.id);
    while (!targetDone && (targetAfter === null || Number(targetAfter) < last)) {
      const there = await target.exportRows({ afterId: targetAfter, limit: pageSize });
      for (const job of there.jobs) theirs.set(job.id, job);
      targetDone = there.jobs.length < pageSize;
      if (there.jobs.length > 0) targetAfter = there.jobs[there.jobs.length - 1]!.id;
    }
    for (const job of rows.jobs) {
      const other = theirs.get(job.id);
      if (other && !sameJob(job, other)) {
        throw new StoreError(
          `${target.description} already holds a different job ${job.id} (queue ${JSON.stringify(other.queue)}, created ${other.createdAt.toISOString()}) than the source's job ${job.id} (queue ${JSON.stringify(job.queue)}); ` +
            `copy into an empty schema instead (e.g. --schema holdfast_copy). Nothing was copied.`,
        );
      }
    }
    for (const id of theirs.keys()) if (Number(id) <= last) theirs.delete(id);
    if (rows.jobs.length < pageSize) return;
    sourceAfter = String(last);
  }
}

async function copy(source: Store, target: Store, pageSize: number): Promise<void> {
  if (!source.exportRows || !target.importRows) {
    throw new UsageError(
      `migrate-store needs stores that can export and import rows; ${!source.exportRows ? source.description : target.description} cannot`,
    );
  }
  const total = { batches: 0, jobs: 0, attempts: 0, seenJobs: 0, seenBatches: 0 };
  let afterId: string | null = null;
  for (;;) {
    const rows = await source.exportRows({ afterId, limit: pageSize });
    const inserted = await target.importRows(rows);
    total.batches += inserted.batches;
    total.jobs += inserted.jobs;
    total.attempts += inserted.attempts;
    total.seenJobs += rows.jobs.length;
    total.seenBatches += rows.batches.length;
    if (rows.jobs.length < pageSize) break;
    afterId = rows.jobs[rows.jobs.length - 1]!.id;
  }
  print(`copied ${source.description} -> ${target.description}`);
  print(`  jobs:     ${total.jobs} copied, ${total.seenJobs - total.jobs} already there`);
  print(`  batches:  ${total.batches} copied`);
  print(`  attempts: ${total.attempts} copied (with their jobs)`);
}

async function countAll(
  queue: JobQueue,
): Promise<StatusCounts & { attempts: number; batches: number }> {
  const counts = emptyCounts();
  for (const row of await queue.store.countByQueueAndStatus()) counts[row.status] += row.count;
  let attempts = 0;
  let batches = 0;
  let afterId: string | null = null;
  for (;;) {
    const rows = await queue.store.exportRows!({ afterId, limit: 2_000 });
    attempts += rows.attempts.length;
    if (afterId === null) batches = rows.batches.length;
    if (rows.jobs.length < 2_000) break;
    afterId = rows.jobs[rows.jobs.length - 1]!.id;
  }
  return { ...counts, attempts, batches };
}

/** Counts per status, attempts and batches must be equal on both sides. */
async function verify(source: JobQueue, target: JobQueue): Promise<boolean> {
  const [a, b] = await Promise.all([countAll(source), countAll(target)]);
  const rows = [...JOB_STATUSES, 'attempts' as const, 'batches' as const].map((name) => ({
    name,
    source: a[name],
    target: b[name],
  }));
  print('verified:');
  print(
    table(rows, [
      { header: '', value: (row) => row.name },
      { header: 'source', value: (row) => row.source },
      { header: 'target', value: (row) => row.target },
    ]),
  );
  const differ = rows.filter((row) => row.source !== row.target);
  if (differ.length === 0) {
    print('counts match.');
    return true;
  }
  process.stderr.write(
    `holdfast: counts differ (${differ.map((row) => row.name).join(', ')}): the target held other jobs before the copy, or the source changed during it\n`,
  );
  return false;
}
