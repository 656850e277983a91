/**
 * The flow-control commands of the built CLI (npm run build first): pause/resume, queue config,
 * schedule add/list/remove, --concurrency-key(-column), and status, on both stores.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { expectOneLineError, holdfast } from '../cli/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { requirePostgres } from '../postgres/pg-helpers.js';
import { FLOW_DBS } from './flow-helpers.js';

beforeAll(requirePostgres);

for (const target of FLOW_DBS) {
  describe(`flow-control CLI: ${target.name}`, () => {
    it('pauses and resumes, sets and prints queue limits, and shows them in status', async () => {
      const { db, drop } = await target.create();
      const dir = tempDir();
      const run = (...args: string[]) => holdfast(['--db', db, ...args], { cwd: dir });
      try {
        expect((await run('pause', 'media')).stdout).toBe(
          'queue media paused: no new jobs start; running jobs finish\n',
        );
        const set = await run(
          'queue',
          'config',
          'media',
          '--per-key-concurrency',
          '2',
          '--rate',
          '10/1s',
          '--per-key-rate',
          '3/1m',
        );
        expect(set.code, set.stderr).toBe(0);
        expect(set.stdout).toBe(
          [
            'queue:               media',
            'paused:              yes',
            'per-key concurrency: 2',
            'rate:                10/1s',
            'per-key rate:        3/1m',
            '',
          ].join('\n'),
        );
        const shown = JSON.parse((await run('queue', 'config', 'media', '--json')).stdout);
        expect(shown).toMatchObject({
          queue: 'media',
          paused: true,
          perKeyConcurrency: 2,
          rate: { limit: 10, intervalMs: 1000 },
        });
        await run('enqueue', 'media', '--concurrency-key', 'example.com', '--payload', '{"n":1}');
        const status = (await run('status')).stdout;
        expect(status).toMatch(
          /\nQUEUE +STATE +PER-KEY CONCURRENCY +RATE +PER-KEY RATE\nmedia +PAUSED +2 +10\/1s +3\/1m\n/,
        );
        expect((await run('resume', 'media')).code).toBe(0);
        expect(
          JSON.parse((await run('queue', 'config', 'media', '--json', '--rate', 'none')).stdout),
        ).toMatchObject({
          paused: false,
          rate: null,
          perKeyConcurrency: 2,
        });
        const queue = await JobQueue.open({ db });
        try {
          const [job] = (await queue.list({ queue: 'media' })).items;
          expect(job!.concurrencyKey).toBe('example.com');
        } finally {
          await queue.close();
        }
      } finally {
        await drop();
      }
    });

    it('adds, lists (with next run) and removes schedules', async () => {
      const { db, drop } = await target.create();
      const dir = tempDir();
      const run = (...args: string[]) => holdfast(['--db', db, ...args], { cwd: dir });
      try {
        const added = await run(
          'schedule',
          'add',
          'nightly',
          '--cron',
          '0 3 * * *',
          '--queue',
          'reports',
          '--tz',
          'America/Phoenix',
          '--catch-up',
          'latest',
          '--payload',
          '{"kind":"daily"}',
        );
        expect(added.code, added.stderr).toBe(0);
        expect(added.stdout).toMatch(
          /^schedule nightly added; next run \d{4}-\d\d-\d\d 10:00:00\n$/,
        );
        const listed = (await run('schedule', 'list')).stdout;
        expect(listed).toMatch(
          /^SCHEDULE +CRON +TZ +QUEUE +CATCH-UP +LAST TICK +NEXT RUN\nnightly +0 3 \* \* \* +America\/Phoenix +reports +latest +- +\d{4}-\d\d-\d\d 10:00:00\n$/,
        );
        expect((await run('status')).stdout).toContain('nightly');
        const json = JSON.parse((await run('schedule', 'list', '--json')).stdout);
        expect(json[0]).toMatchObject({
          name: 'nightly',
          payload: '{"kind":"daily"}',
          catchUp: 'latest',
        });
        expect((await run('schedule', 'remove', 'nightly')).stdout).toBe(
          'schedule nightly removed\n',
        );
        expectOneLineError(
          await run('schedule', 'remove', 'nightly'),
          1,
          /No schedule named "nightly"/,
        );
        expect((await run('schedule', 'list')).stdout).toBe('No schedules.\n');
      } finally {
        await drop();
      }
    });
  });
}

describe('flow-control CLI: bad input', () => {
  it('refuses bad rates, counts, cron and catch-up with one line and exit 2', async () => {
    const dir = tempDir();
    const run = (...args: string[]) => holdfast(['--db', join(dir, 'q.db'), ...args], { cwd: dir });
    expectOneLineError(
      await run('queue', 'config', 'q', '--rate', '5'),
      2,
      /--rate to be N\/duration such as 10\/1s or 100\/5m, got "5"/,
    );
    expectOneLineError(await run('queue', 'config', 'q', '--rate', 'x/1s'), 2, /count in --rate/);
    expectOneLineError(
      await run('queue', 'config', 'q', '--per-key-rate', '3/soon'),
      2,
      /interval in --per-key-rate/,
    );
    expectOneLineError(
      await run('queue', 'config', 'q', '--per-key-concurrency', '0'),
      2,
      /--per-key-concurrency must be a whole number from 1/,
    );
    expectOneLineError(
      await run('schedule', 'add', 's', '--cron', 'nope', '--queue', 'q'),
      2,
      /`cron`/,
    );
    expectOneLineError(
      await run('schedule', 'add', 's', '--cron', '* * * * *', '--queue', 'q', '--catch-up', 'all'),
      2,
      /--catch-up must be none or latest/,
    );
    expectOneLineError(
      await run('schedule', 'add', 's', '--cron', '* * * * *', '--queue', 'q', '--tz', 'Nowhere/X'),
      2,
      /IANA time zone/,
    );
  });

  it('imports a CSV with a concurrency key per row', async () => {
    const dir = tempDir();
    const db = join(dir, 'q.db');
    const csv = join(dir, 'props.csv');
    writeFileSync(csv, 'address,host\n1 Main St,a.example\n2 Main St,b.example\n3 Main St,\n');
    const result = await holdfast(
      ['--db', db, 'enqueue', 'props', '--csv', csv, '--concurrency-key-column', 'host'],
      { cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const queue = await JobQueue.open({ db });
    try {
      expect((await queue.list({ queue: 'props' })).items.map((job) => job.concurrencyKey)).toEqual(
        ['a.example', 'b.example', null],
      );
    } finally {
      await queue.close();
    }
    expectOneLineError(
      await holdfast(
        ['--db', db, 'enqueue', 'props', '--csv', csv, '--concurrency-key-column', 'nope'],
        { cwd: dir },
      ),
      2,
      /--concurrency-key-column: .* has no column "nope"/,
    );
  });
});
