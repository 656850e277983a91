import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { cliPath } from './cli.js';

const run = promisify(execFile);

/** The package whose build is under test: the folder holding dist/ (the repo, or HOLDFAST_CLI's private build). */
const packageRoot = dirname(dirname(dirname(cliPath)));

describe('npm pack', () => {
  it('produces a tarball that installs into a fresh folder and whose holdfast bin runs', async () => {
    const out = tempDir('holdfast-pack-');
    // --ignore-scripts: `prepare` would rebuild dist/ (rm -rf first) under tests that are using it.
    const packed = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', out],
      { cwd: packageRoot },
    );
    const [info] = JSON.parse(packed.stdout) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = info!.files.map((file) => file.path);
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((path) => path.startsWith('test/') || path.startsWith('src/'))).toEqual([]);

    const app = join(out, 'app');
    await run('mkdir', [app]);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'pack-check', version: '1.0.0', private: true }),
    );
    // --ignore-scripts skips better-sqlite3's native build (minutes from source here); --help and
    // --version need no database, and the drivers load lazily, so the bin still runs for real.
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        join(out, info!.filename),
      ],
      {
        cwd: app,
        timeout: 50_000,
      },
    );
    const bin = join(app, 'node_modules', '.bin', 'holdfast');
    expect(existsSync(bin)).toBe(true);
    expect(
      readFileSync(join(app, 'node_modules', 'holdfast', 'dist', 'cli', 'main.js'), 'utf8'),
    ).toMatch(/^#!\/usr\/bin\/env node\n/);
    const help = await run(bin, ['--help'], { cwd: app });
    expect(help.stdout).toMatch(/^Usage: holdfast \[options\] \[command\]\n/);
    expect(help.stdout).toContain('enqueue [options] <queue>');
    const version = await run(bin, ['--version'], { cwd: app });
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version,
    );
  }, 90_000);
});
