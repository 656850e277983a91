/** The dashboard's flow-control parts: paused queues with a resume action (POST + CSRF), schedules with next runs, per-key saturation. */
import { describe, expect, it } from 'vitest';
import { openDashboard } from '../dashboard/fixture.js';

describe('dashboard: flow control', () => {
  it('shows a paused queue and resumes it through the confirmed, CSRF-checked action', async () => {
    const { queue, browser } = await openDashboard();
    await queue.pause('media');
    await queue.configureQueue('images', { perKeyConcurrency: 2, rate: '10/1s' });
    await queue.schedules.add('nightly', {
      cron: '0 3 * * *',
      queue: 'reports',
      tz: 'America/Phoenix',
    });
    await queue.enqueue('images', {}, { concurrencyKey: 'a.example' });
    await queue.store.claim({ queues: ['images'], limit: 1, workerId: 'w', leaseMs: 30_000 });

    const overview = await browser.get('/');
    expect(overview.status).toBe(200);
    expect(overview.body).toMatch(
      /<tr data-queue="media" data-paused="yes">[\s\S]*?<strong>paused<\/strong>[\s\S]*?href="\/queues\/media\/resume"/,
    );
    expect(overview.body).toMatch(
      /<tr data-queue="images" data-paused="no">[\s\S]*?>2<\/td>[\s\S]*?10\/1s/,
    );
    expect(overview.body).toMatch(
      /<tr data-schedule="nightly">[\s\S]*?America\/Phoenix[\s\S]*?\d{4}-\d\d-\d\d 10:00/,
    );
    expect(overview.body).toMatch(/a\.example<\/td>\s*<td class="num">1 \/ 2<\/td>/);

    // No CSRF token: refused, nothing changes.
    expect((await browser.post('/queues/media/resume', { confirm: 'yes' })).status).toBe(403);
    expect((await queue.queueConfig('media')).paused).toBe(true);
    const csrf = await browser.csrfFrom('/queues/media/resume');
    const done = await browser.post('/queues/media/resume', { csrf, confirm: 'yes' });
    expect(done.status).toBe(303);
    expect((await queue.queueConfig('media')).paused).toBe(false);
    const api = JSON.parse((await browser.get('/api/overview')).body) as {
      flow: { queues: Array<{ queue: string; paused: boolean }> };
    };
    // Neither paused nor limited any more: only images is listed.
    expect(api.flow.queues.map((c) => [c.queue, c.paused])).toEqual([['images', false]]);
  });
});
