/**
 * A large CSV import through the CLI (`holdfast enqueue <queue> --csv`), with the importing
 * process's peak RSS sampled from /proc: the import streams, so memory must not grow with rows.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { JobQueue } from '../../../src/index.js';
import { spawnTracked } from '../../helpers/processes.js';
import { cliPath, rssOf, sleep } from './workers.js';

export interface CsvImportReport {
  rows: number;
  megabytes: number;
  importMs: number;
  peakRssMb: number;
  jobs: number;
}

export async function writeCsv(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('address,city,notes\n');
  for (let i = 0; i < rows; i++) await write(`${i} Main St,Phoenix,"row ${i}, with a comma"\n`);
  out.end();
  await once(out, 'finish');
  return bytes;
}

export async function runCsvImport(dir: string, rows: number): Promise<CsvImportReport> {
  const csv = join(dir, 'big.csv');
  const db = join(dir, 'csv.db');
  const bytes = await writeCsv(csv, rows);
  const started = Date.now();
  const child = spawnTracked(process.execPath, [
    cliPath(),
    'enqueue',
    'csv',
    '--csv',
    csv,
    '--db',
    db,
  ]);
  child.stdout!.resume();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  void exited.then(() => (done = true));
  let peak = 0;
  while (!done) {
    peak = Math.max(peak, rssOf(child.pid!, (path) => readFileSync(path, 'utf8')) ?? 0);
    await sleep(100);
  }
  if ((await exited) !== 0) throw new Error(`the import failed: ${stderr.slice(-1_000)}`);
  const importMs = Date.now() - started;
  const queue = await JobQueue.open({ db });
  try {
    const jobs = (await queue.stats()).queues.csv?.counts.pending ?? 0;
    return {
      rows,
      megabytes: Math.round(bytes / 1024 / 102.4) / 10,
      importMs,
      peakRssMb: Math.round(peak / 1024 / 1024),
      jobs,
    };
  } finally {
    await queue.close();
  }
}
