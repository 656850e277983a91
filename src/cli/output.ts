/**
 * Human and JSON output. With `--json` a command writes exactly one JSON value to stdout and
 * nothing else there; notes and warnings go to stderr.
 */
import type { Job, JobProgress, StatusCounts } from '../types.js';
import { JOB_STATUSES } from '../states.js';

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export interface Column<T> {
  header: string;
  value: (row: T) => string | number;
  /** Numbers read best right-aligned. Default: right for numbers. */
  align?: 'left' | 'right';
}

/** An aligned plain-text table; the last column is not padded so lines carry no trailing spaces. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const right = columns.map(
    (column, i) =>
      column.align === 'right' || (column.align === undefined && typeof cells[0]?.[i] === 'number'),
  );
  const text = [columns.map((column) => column.header), ...cells.map((row) => row.map(String))];
  const widths = columns.map((_, i) => Math.max(...text.map((line) => line[i]!.length)));
  return text
    .map((line) =>
      line
        .map((cell, i) =>
          right[i]
            ? cell.padStart(widths[i]!)
            : i === line.length - 1
              ? cell
              : cell.padEnd(widths[i]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `2026-11-28 09:41:02` in UTC: sortable, and the same on every machine. */
export function formatTime(date: Date | null): string {
  return date ? date.toISOString().replace('T', ' ').slice(0, 19) : '-';
}

export function formatProgress(progress: JobProgress | null): string {
  if (!progress) return '-';
  const percent =
    progress.total > 0 ? ` (${Math.round((progress.current / progress.total) * 100)}%)` : '';
  return `${progress.current}/${progress.total}${percent}${progress.message ? ` ${progress.message}` : ''}`;
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Every status key, in lifecycle order, always present. */
export function countsJson(counts: Partial<StatusCounts>): StatusCounts {
  return Object.fromEntries(
    JOB_STATUSES.map((status) => [status, counts[status] ?? 0]),
  ) as StatusCounts;
}

/** A job as the CLI's JSON shows it: every stored field, plus the batch's name. */
export function jobJson(
  job: Job,
  batchNames: ReadonlyMap<string, string>,
): Record<string, unknown> {
  return { ...job, batch: job.batchId === null ? null : (batchNames.get(job.batchId) ?? null) };
}
