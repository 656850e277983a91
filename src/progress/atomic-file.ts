/**
 * Atomic file replacement: readers see the old content or the new, never a mix or a prefix,
 * even if the writer is killed (SIGKILL) at any instruction. Write a temp file in the same
 * folder (rename is only atomic within one file system), fsync it, rename it over the target,
 * then fsync the folder so the rename itself survives a power loss.
 *
 * Temp names carry the writer's pid, so a later writer can remove the leftovers of a writer
 * that died (`removeDeadTempFiles`) instead of letting them pile up.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const TEMP_PATTERN = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{8}$/;

export function tempPathFor(target: string): string {
  return join(
    dirname(target),
    `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(target);
  const handle = await fs.open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dirname(target));
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) refuse fsync on a folder; the rename is still atomic there.
    if (
      (error as NodeJS.ErrnoException).code !== 'EINVAL' &&
      (error as NodeJS.ErrnoException).code !== 'EPERM'
    ) {
      throw error;
    }
  } finally {
    await handle.close();
  }
}

/** Removes temp files in `dir` (for `target` only, when given) whose writer process is gone. */
export async function removeDeadTempFiles(dir: string, target?: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const match = TEMP_PATTERN.exec(name);
    if (!match || (target !== undefined && match[1] !== basename(target))) continue;
    if (isAlive(Number(match[2]))) continue;
    await fs.rm(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
