import { describe, expect, it, onTestFinished } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { startMetricsServer } from '../../src/metrics/server.js';
import type { JobQueue } from '../../src/index.js';
import { openTestQueue } from '../helpers/queue.js';
import { http } from '../dashboard/http-client.js';
import { openDashboard } from '../dashboard/fixture.js';
import { parseExposition, value } from './exposition.js';

/** Runs `count` jobs on queue `q` to the end: every fifth fails for good, every seventh retries once first. */
async function runJobs(queue: JobQueue, count: number, offset = 0): Promise<void> {
  await queue.enqueueMany(
    Array.from({ length: count }, (_, i) => ({
      queue: 'q',
      payload: { n: offset + i },
      options: { key: `address ${offset + i}`, maxAttempts: 2 },
    })),
  );
  const worker = queue.work(
    'q',
    async (job) => {
      const n = (job.payload as { n: number }).n;
      if (n % 5 === 0) throw new Error(`permanent trouble at ${n}`);
      if (n % 7 === 0 && job.attempt === 1) throw new Error('flaky');
      return n;
    },
    {
      concurrency: 8,
      exitWhenEmpty: true,
      pollInterval: 20,
      backoff: { min: 1, max: 1, jitter: 0 },
    },
  );
  await worker.done;
}

/**
 * Series that do not vary with jobs. Some default process metrics gain series as the process
 * lives (a new GC kind, a new kind of active handle), whatever the queue does; they are left out.
 */
function stableSeries(text: string): string[] {
  return parseExposition(text)
    .samples.filter(
      (s) => !/^nodejs_(gc_duration_seconds|active_(handles|requests|resources))/.test(s.name),
    )
    .map((s) => `${s.name}${JSON.stringify(s.labels)}`)
    .sort();
}

describe('metrics', () => {
  it('parses as Prometheus text and counts jobs by queue and status, outcomes, durations, waits and retries', async () => {
    const { queue } = await openTestQueue();
    const metrics = createMetrics(queue, { storeReadIntervalMs: 0 });
    onTestFinished(() => metrics.close());
    await runJobs(queue, 20);
    await queue.enqueue('later', {}, { delay: '1h' });
    const parsed = parseExposition(await metrics.text());

    expect(parsed.types.get('holdfast_jobs')).toBe('gauge');
    expect(parsed.types.get('holdfast_jobs_finished_total')).toBe('counter');
    expect(parsed.types.get('holdfast_job_duration_seconds')).toBe('histogram');
    expect(parsed.types.get('holdfast_job_wait_seconds')).toBe('histogram');
    // 20 jobs: 0, 5, 10, 15 fail (4); the rest complete, 7 and 14 after one retry.
    expect(value(parsed, 'holdfast_jobs', { queue: 'q', status: 'completed' })).toBe(16);
    expect(value(parsed, 'holdfast_jobs', { queue: 'q', status: 'failed' })).toBe(4);
    expect(value(parsed, 'holdfast_jobs', { queue: 'q', status: 'pending' })).toBe(0);
    expect(value(parsed, 'holdfast_jobs', { queue: 'later', status: 'pending' })).toBe(1);
    expect(
      value(parsed, 'holdfast_jobs_finished_total', { queue: 'q', outcome: 'completed' }),
    ).toBe(16);
    expect(value(parsed, 'holdfast_jobs_finished_total', { queue: 'q', outcome: 'failed' })).toBe(
      4,
    );
    expect(value(parsed, 'holdfast_job_retries_total', { queue: 'q' })).toBe(4 + 2); // 0,5,10,15 retry once before failing; 7 and 14 once
    expect(
      value(parsed, 'holdfast_job_duration_seconds_count', { queue: 'q', outcome: 'completed' }),
    ).toBe(16);
    expect(
      value(parsed, 'holdfast_job_duration_seconds_count', { queue: 'q', outcome: 'retrying' }),
    ).toBe(6);
    expect(value(parsed, 'holdfast_job_wait_seconds_count', { queue: 'q' })).toBe(26); // one per attempt started
    expect(value(parsed, 'holdfast_jobs_enqueued_total', { queue: 'q' })).toBe(20);
    expect(value(parsed, 'holdfast_worker_active_jobs', { queue: 'q' })).toBe(0);
    expect(value(parsed, 'holdfast_store_up')).toBe(1);
    expect(value(parsed, 'holdfast_oldest_waiting_seconds', { queue: 'q' })).toBe(0);
    expect(value(parsed, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

    // Labels come from small fixed sets: never an id, key, address or worker.
    for (const sample of parsed.samples.filter((s) => s.name.startsWith('holdfast_'))) {
      expect(
        Object.keys(sample.labels).every((label) =>
          ['queue', 'status', 'outcome', 'le'].includes(label),
        ),
        sample.name,
      ).toBe(true);
      expect(JSON.stringify(sample.labels)).not.toMatch(/address|\d{2,}:/);
    }
    for (const name of parsed.types.keys()) {
      if (!name.startsWith('holdfast_')) continue;
      if (parsed.types.get(name) === 'counter') expect(name).toMatch(/_total$/);
      expect(parsed.help.get(name), name).toBeTruthy();
    }
  });

  it('keeps the same series whether 10 or 1,000 jobs went through', async () => {
    const { queue } = await openTestQueue();
    const metrics = createMetrics(queue, { storeReadIntervalMs: 0 });
    onTestFinished(() => metrics.close());
    await runJobs(queue, 10);
    const after10 = stableSeries(await metrics.text());
    await runJobs(queue, 990, 10);
    const after1000 = stableSeries(await metrics.text());
    expect(after1000.length).toBe(after10.length);
    expect(after1000).toEqual(after10);
    expect(after10.length).toBeGreaterThan(50);
  });

  it('counts lease rescues and cancellations by queue and outcome', async () => {
    const { queue } = await openTestQueue();
    const metrics = createMetrics(queue, { defaultMetrics: false });
    onTestFinished(() => metrics.close());
    // The rescuer's event, as the maintenance service emits it when it takes back an expired lease.
    queue.emit('rescued', '41', 'q', 'retrying');
    queue.emit('rescued', '42', 'q', 'failed');
    const { job } = await queue.enqueue('q', {});
    await queue.cancel(job.id);
    const parsed = parseExposition(await metrics.text());
    expect(value(parsed, 'holdfast_lease_rescues_total', { queue: 'q', outcome: 'retrying' })).toBe(
      1,
    );
    expect(value(parsed, 'holdfast_lease_rescues_total', { queue: 'q', outcome: 'failed' })).toBe(
      1,
    );
    expect(
      value(parsed, 'holdfast_jobs_finished_total', { queue: 'q', outcome: 'cancelled' }),
    ).toBe(1);
    expect(parsed.samples.some((s) => s.name.startsWith('process_'))).toBe(false);
  });

  it('reports holdfast_store_up 0 instead of failing the scrape when the store is gone', async () => {
    const { queue } = await openTestQueue();
    const metrics = createMetrics(queue, { defaultMetrics: false, storeReadIntervalMs: 0 });
    onTestFinished(() => metrics.close());
    await queue.close();
    const parsed = parseExposition(await metrics.text());
    expect(value(parsed, 'holdfast_store_up')).toBe(0);
  });

  it('is served by startMetricsServer and at the dashboard’s /metrics', async () => {
    const { queue } = await openTestQueue();
    await queue.enqueue('q', {});
    const server = await startMetricsServer(queue, { port: 0 });
    onTestFinished(() => server.close());
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const reply = await http(server.url);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(
      value(parseExposition(reply.body), 'holdfast_jobs', { queue: 'q', status: 'pending' }),
    ).toBe(1);
    expect((await http(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    expect((await http(server.url, { method: 'POST' })).status).toBe(405);

    const { queue: other, origin } = await openDashboard();
    await other.enqueue('images', {});
    const scraped = await http(`${origin}/metrics`);
    expect(scraped.status).toBe(200);
    expect(
      value(parseExposition(scraped.body), 'holdfast_jobs', { queue: 'images', status: 'pending' }),
    ).toBe(1);
  });
});
