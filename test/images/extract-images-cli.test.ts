/** The built CLI end to end (run `npm run build` first): examples, CSV input, SIGKILL and resume, builtin handler. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { CLI, runCli, spawnTracked, waitForOutput } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';
import { jpeg, png } from './fixtures.js';
import { html, send, startServer } from './http-server.js';

const EXAMPLES_CSV = fileURLToPath(new URL('../../examples/properties.csv', import.meta.url));
/** The command most tests run: the sandbox's homes.csv, images into its out/ folder. */
const EXTRACT_HOMES = ['extract-images', '--csv', 'homes.csv', '--out', 'out'];

function sandbox() {
  const dir = tempDir('holdfast-images-');
  const env: NodeJS.ProcessEnv = { ...process.env, HOLDFAST_DEBUG: '' };
  delete env.HOLDFAST_DB;
  const db = join(dir, 'queue.db');
  const out = join(dir, 'out');
  const workItems = join(dir, 'work_items.json');
  return {
    dir,
    db,
    out,
    workItems,
    run: (...rest: string[]) => runCli(['--db', db, ...rest], { cwd: dir, env }),
    /** The same command as `run`, started without waiting, so that the test can signal it mid-run. */
    start: (...rest: string[]) =>
      spawnTracked(process.execPath, [CLI, '--db', db, ...rest], { cwd: dir, env }),
    /** Writes the header and rows to homes.csv in the sandbox. */
    writeCsv: (rows: string[]) => writeFileSync(join(dir, 'homes.csv'), `${rows.join('\n')}\n`),
  };
}

/** homes.csv with one property per row, each one PNG that the server sends `delayMs` late. */
async function slowPhotos(
  box: ReturnType<typeof sandbox>,
  count: number,
  street: string,
  delayMs: number,
) {
  const server = await startServer();
  const rows = ['address,photo'];
  for (let p = 0; p < count; p++) {
    server.route(
      `/img/${p}.png`,
      (req, res) => void setTimeout(() => send(png(p), 'image/png')(req, res), delayMs),
    );
    rows.push(`${p} ${street},${server.url(`/img/${p}.png`)}`);
  }
  box.writeCsv(rows);
  return server;
}

interface Manifest {
  address: string;
  images: Array<{ file: string; sha256: string; bytes: number }>;
  failedSources: Array<{ source: string; reason: string }>;
}

/** Every property folder: its manifest, and a check that the folder holds exactly its images, each intact. */
function readOutput(out: string): Manifest[] {
  return readdirSync(out).map((slug) => {
    const folder = join(out, slug);
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Manifest;
    expect(readdirSync(folder).sort()).toEqual(
      [...manifest.images.map((image) => image.file), 'manifest.json'].sort(),
    );
    for (const image of manifest.images) {
      const bytes = readFileSync(join(folder, image.file));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(image.sha256);
      expect(bytes.length).toBe(image.bytes);
    }
    return manifest;
  });
}

function mtimes(dir: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const slug of readdirSync(dir)) {
    for (const name of readdirSync(join(dir, slug)))
      result[`${slug}/${name}`] = statSync(join(dir, slug, name)).mtimeMs;
  }
  return result;
}

describe('holdfast extract-images', () => {
  it('runs the examples offline, then a re-run resumes and fetches nothing', async () => {
    const box = sandbox();
    const extract = (...more: string[]) =>
      box.run(
        'extract-images',
        '--csv',
        EXAMPLES_CSV,
        '--out',
        box.out,
        '--work-items',
        box.workItems,
        ...more,
      );
    const first = await extract();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'enqueued 30 properties (0 already there) in batch "properties"',
    );
    expect(first.stdout).toContain('30 of 30 properties completed, 0 failed');
    const saved = Number(
      /images: (\d+) saved by this run, (\d+) duplicates skipped/.exec(first.stdout)![1],
    );
    const duplicates = Number(/(\d+) duplicates skipped/.exec(first.stdout)![1]);
    expect(saved).toBeGreaterThan(60);
    expect(duplicates).toBeGreaterThan(0);
    expect(first.stdout).toContain(`images and manifests: ${box.out}/<address-slug>/`);
    expect(first.stdout).toContain(`work items:           ${box.workItems}`);

    const manifests = readOutput(box.out);
    expect(manifests).toHaveLength(30);
    expect(manifests.reduce((sum, manifest) => sum + manifest.images.length, 0)).toBe(saved);
    const broken = manifests.find((manifest) => manifest.address.startsWith('18250 N Cave Creek'))!;
    expect(broken.failedSources).toEqual([
      { source: 'listings/p07-removed.html', reason: expect.stringMatching(/^file not found/) },
    ]);
    const items = JSON.parse(readFileSync(box.workItems, 'utf8')).items as Record<
      string,
      { holdfast: { status: string } }
    >;
    expect(Object.values(items).map((item) => item.holdfast.status)).toEqual(
      Array(30).fill('completed'),
    );

    const before = mtimes(box.out);
    const again = await extract();
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('enqueued 0 properties (30 already there)');
    expect(again.stdout).toContain(
      `images: 0 saved by this run, 0 duplicates skipped, ${saved} stored in total`,
    );
    expect(mtimes(box.out)).toEqual(before);

    // A new batch runs every property again: the manifests make each one a no-op.
    const fresh = await extract('--batch', 'again');
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toContain('enqueued 30 properties');
    expect(fresh.stdout).toContain('images: 0 saved by this run, 0 duplicates skipped');
    const after = mtimes(box.out);
    for (const [path, mtime] of Object.entries(before))
      if (!path.endsWith('manifest.json')) expect(after[path]).toBe(mtime);
  });

  it('reads a CSV with a BOM, CRLF, quoted commas, blank lines and duplicates; keeps odd addresses inside --out', async () => {
    const box = sandbox();
    writeFileSync(join(box.dir, 'a.png'), png(1));
    writeFileSync(join(box.dir, 'b.jpg'), jpeg(2));
    writeFileSync(
      join(box.dir, 'homes.csv'),
      '\uFEFFaddress,photos\r\n"1 Main St, Phoenix, AZ",a.png\r\n\r\n"../../../../tmp/evil",b.jpg\r\n"1 main st,  Phoenix, AZ",b.jpg|a.png\r\n..,a.png\r\n',
    );
    const result = await box.run(...EXTRACT_HOMES, '--work-items', 'wi.json', '--no-progress');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'enqueued 3 properties (0 already there, 1 duplicate row merged) in batch "homes"',
    );
    const manifests = readOutput(box.out);
    expect(manifests.map((manifest) => manifest.address).sort()).toEqual([
      '..',
      '../../../../tmp/evil',
      '1 Main St, Phoenix, AZ',
    ]);
    expect(
      manifests.find((manifest) => manifest.address.startsWith('1 Main'))!.images,
    ).toHaveLength(2);
    expect(readdirSync(box.dir).sort()).toEqual(
      [
        'a.png',
        'b.jpg',
        'homes.csv',
        'out',
        'queue.db',
        'queue.db-shm',
        'queue.db-wal',
        'wi.json',
      ].filter((name) => existsSync(join(box.dir, name))),
    );
  });

  it('refuses a CSV with a missing address, naming its line, and enqueues nothing', async () => {
    const box = sandbox();
    writeFileSync(
      join(box.dir, 'homes.csv'),
      'address,url\r\n1 A St,https://a.example/1\r\n"2 B St, Mesa",https://a.example/2\r\n,https://a.example/3\r\n',
    );
    const result = await box.run('extract-images', '--csv', 'homes.csv');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('homes.csv: 1 invalid row; nothing was enqueued');
    expect(result.stderr).toContain('line 4: missing address');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const status = await box.run('status', '--json');
    expect(JSON.parse(status.stdout).queues).toEqual({});
  });

  it('exits 1 and lists each failed property with its reasons', async () => {
    const box = sandbox();
    const server = await startServer({ '/ok.png': send(png(1), 'image/png') });
    writeFileSync(
      join(box.dir, 'homes.csv'),
      `address,url\n1 Good St,${server.url('/ok.png')}\n2 Gone St,${server.url('/gone.jpg')} missing.png\n`,
    );
    const result = await box.run(...EXTRACT_HOMES, '--allow-private-hosts', '--no-progress');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('1 of 2 properties completed, 1 failed');
    expect(result.stdout).toMatch(
      /failed:\n {2}2 Gone St: every source failed: \S*\/gone\.jpg: HTTP 404 from \S*; missing\.png: file not found: /,
    );
    expect(result.stdout).toContain('holdfast retry --failed --batch "homes"');
  });

  it('survives SIGKILL mid-run: the re-run completes every property, with no partial or duplicate files', async () => {
    const box = sandbox();
    const server = await startServer();
    const rows = ['address,listing'];
    for (let p = 0; p < 10; p++) {
      server.route(
        `/p${p}`,
        html(
          [0, 1, 2].map((i) => `<img src="/img/${p}-${i}.jpg">`).join('') +
            '<img src="/img/shared.png">',
        ),
      );
      for (let i = 0; i < 3; i++) {
        // Slow enough that the kill lands while images are being written.
        server.route(
          `/img/${p}-${i}.jpg`,
          (_req, res) =>
            void setTimeout(() => send(jpeg(p * 3 + i, 64, 48), 'image/jpeg')(_req, res), 60),
        );
      }
      rows.push(`${p} Kill Test Rd,${server.url(`/p${p}`)}`);
    }
    server.route('/img/shared.png', send(png(1), 'image/png'));
    box.writeCsv(rows);
    const args = [
      ...EXTRACT_HOMES,
      '--allow-private-hosts',
      '--concurrency',
      '3',
      '--lease',
      '1s',
      '--no-progress',
    ];

    const child = box.start(...args);
    await waitForOutput(child, (text) => (text.match(/^done /gm) ?? []).length >= 2);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // Whatever the kill left: every visible image is whole (named by its own hash).
    for (const slug of readdirSync(box.out)) {
      for (const name of readdirSync(join(box.out, slug)).filter((n) =>
        /^[0-9a-f]{64}\./.test(n),
      )) {
        const bytes = readFileSync(join(box.out, slug, name));
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(name.split('.')[0]);
      }
    }

    const rerun = await box.run(...args);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('enqueued 0 properties (10 already there)');
    expect(rerun.stdout).toContain('10 of 10 properties completed, 0 failed');
    const manifests = readOutput(box.out); // exactly the manifest's files in each folder, no temp files
    expect(manifests).toHaveLength(10);
    for (const manifest of manifests) expect(manifest.images).toHaveLength(4);
    // Nothing stored twice: the killed run's images were not downloaded again.
    for (let p = 0; p < 10; p++)
      for (let i = 0; i < 3; i++) expect(server.count(`/img/${p}-${i}.jpg`)).toBeLessThanOrEqual(2);
    const total = [...Array(10).keys()]
      .flatMap((p) => [0, 1, 2].map((i) => server.count(`/img/${p}-${i}.jpg`)))
      .reduce((a, b) => a + b);
    expect(total).toBeLessThan(30 + 3 * 3); // at most the in-flight images (3 properties x 3) fetched twice
  });

  it('stops on Ctrl-C with exit 130 and a resume hint; the same command then finishes the rest', async () => {
    const box = sandbox();
    const server = await slowPhotos(box, 8, 'Signal St', 150);
    const args = [...EXTRACT_HOMES, '--allow-private-hosts', '--concurrency', '1', '--no-progress'];
    const child = box.start(...args);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await waitForOutput(child, (text) => text.includes('done '));
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(130);
    expect(stdout).toMatch(
      /stopped: run the same command again to resume the \d+ unfinished properties/,
    );
    const rerun = await box.run(...args);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('8 of 8 properties completed, 0 failed');
    expect(readOutput(box.out)).toHaveLength(8);
    // Stopped gracefully: the running property was finished or handed back, never fetched twice over.
    for (let p = 0; p < 8; p++) expect(server.count(`/img/${p}.png`)).toBeLessThanOrEqual(2);
  });

  it('two processes on the same CSV share the work: each property once, one intact work_items.json', async () => {
    const box = sandbox();
    const server = await slowPhotos(box, 12, 'Shared Ct', 40);
    writeFileSync(box.workItems, JSON.stringify({ owner: 'another tool' }));
    const args = [
      ...EXTRACT_HOMES,
      '--work-items',
      box.workItems,
      '--allow-private-hosts',
      '--no-progress',
    ];
    const [a, b] = await Promise.all([box.run(...args), box.run(...args)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout + b.stdout).toMatch(
      /enqueued 0 properties \(12 already there\)|enqueued 12 properties/,
    );
    expect(readOutput(box.out)).toHaveLength(12);
    for (let p = 0; p < 12; p++) expect(server.count(`/img/${p}.png`)).toBe(1);
    const file = JSON.parse(readFileSync(box.workItems, 'utf8'));
    expect(file.owner).toBe('another tool');
    expect(
      Object.values(file.items).map(
        (item) => (item as { holdfast: { status: string } }).holdfast.status,
      ),
    ).toEqual(Array(12).fill('completed'));
  });

  it('runs enqueued properties with `holdfast work images --handler builtin:extract-images`', async () => {
    const box = sandbox();
    const server = await startServer({
      '/p': html('<img src="/a.png"><img src="/b.jpg">'),
      '/a.png': send(png(4), 'image/png'),
      '/b.jpg': send(jpeg(5), 'image/jpeg'),
    });
    const queue = await JobQueue.open({ db: box.db });
    await queue.enqueue(
      'images',
      { address: '9 Worker Way', sources: [server.url('/p')] },
      { key: '9 Worker Way' },
    );
    await queue.close();
    const spec = `builtin:extract-images?out=${encodeURIComponent(box.out)}&allow-private-hosts`;
    const result = await box.run('work', 'images', '--handler', spec, '--exit-when-empty');
    expect(result.code).toBe(0);
    expect(readOutput(box.out)).toEqual([
      expect.objectContaining({
        address: '9 Worker Way',
        images: [expect.anything(), expect.anything()],
      }),
    ]);
    const unknown = await box.run(
      'work',
      'images',
      '--handler',
      'builtin:resize-images',
      '--exit-when-empty',
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'no built-in handler "resize-images"; the built-in is builtin:extract-images',
    );
  });
});
