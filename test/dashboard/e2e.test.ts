/**
 * The dashboard in a real headless Chromium: live progress without reload, retrying a failed job
 * until it completes, and hostile job data shown as text. With HOLDFAST_SCREENSHOTS=1 it also
 * writes docs/screenshots/*.png (kept out of normal runs so CI does not churn them).
 */
import { mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { waitFor } from '../helpers/queue.js';
import { openDashboard } from './fixture.js';

// The callbacks given to page.evaluate/waitForFunction run in the browser. This project compiles
// without the DOM lib (it is a Node package), so they see these module-local declarations.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

const SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
});
afterAll(async () => {
  await browser?.close();
});

/** A page that records dialogs (dismissed), CSP violations and script errors, all asserted empty at the end. */
async function openPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  onTestFinished(async () => {
    await context.close();
    expect(problems).toEqual([]);
  });
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.HOLDFAST_SCREENSHOTS !== '1') return;
  mkdirSync(SHOTS, { recursive: true });
  const path = `${SHOTS}${name}.png`;
  await page.screenshot({ path });
  expect(statSync(path).size, name).toBeLessThan(200 * 1024);
}

/** Handler gates: each started job waits until the test lets it finish. */
function gates() {
  const waiting: Array<() => void> = [];
  return {
    waiting,
    wait: () => new Promise<void>((resolve) => waiting.push(resolve)),
    async release(n: number) {
      for (let i = 0; i < n; i++) {
        await waitFor(() => waiting.length > 0, 'a running job to release');
        waiting.shift()!();
      }
    },
  };
}

const valueNow = (page: Page, selector: string) =>
  page.locator(selector).first().getAttribute('aria-valuenow').then(Number);

describe('dashboard in Chromium', () => {
  it('shows the overview and a batch whose progress bar moves while a worker runs, without a reload', async () => {
    const { queue, origin } = await openDashboard({ liveIntervalMs: 200 });
    const streets = [
      '12 Elm St',
      '4 Oak Ave',
      '9 Pine Rd',
      '31 Birch Ln',
      '7 Cedar Ct',
      '18 Maple Dr',
    ];
    await queue.enqueueMany(
      streets.map((key) => ({
        queue: 'images',
        payload: { address: key },
        options: { key, batch: 'listings.csv' },
      })),
    );
    const gate = gates();
    const worker = queue.work(
      'images',
      async (_job, ctx) => {
        ctx.progress(1, 3, 'downloading photos');
        await gate.wait();
        ctx.progress(3, 3, 'saved 3 photos');
        return { images: 3 };
      },
      { concurrency: 2, pollInterval: 20 },
    );
    try {
      await watchBatch(origin, gate);
    } finally {
      await worker.stop({ graceMs: 0 });
    }
  });

  it('retries a failed job from its page until it completes, showing each outcome', async () => {
    const { queue, origin } = await openDashboard({ liveIntervalMs: 200 });
    const { job } = await queue.enqueue(
      'images',
      { address: '221B Baker St' },
      { key: '221B Baker St', maxAttempts: 1 },
    );
    let runs = 0;
    const worker = queue.work(
      'images',
      async () => {
        runs++;
        if (runs < 3) throw new Error(`listing page timed out (run ${runs})`);
        return { images: 5 };
      },
      { concurrency: 1, pollInterval: 20 },
    );
    try {
      await waitFor(
        async () => (await queue.get(job.id))?.status === 'failed',
        'the first failure',
      );
      await retryUntilCompleted(origin, job.id);
    } finally {
      await worker.stop({ graceMs: 0 });
    }
  });

  it('shows a job whose key and error hold HTML and script as text: no dialog, no injected element', async () => {
    const { queue, origin } = await openDashboard({ liveIntervalMs: 200 });
    const key = `<img src=x onerror="alert('key')">12 <b>Elm</b> St`;
    const message = `<script>alert("error")</script><svg onload=alert(1)><iframe src="javascript:alert(2)">`;
    const { job } = await queue.enqueue(
      'images',
      { address: key, note: '</pre><script>alert(3)</script>' },
      { key, batch: key, maxAttempts: 1 },
    );
    const worker = queue.work(
      'images',
      async () => {
        throw new Error(message);
      },
      { exitWhenEmpty: true, pollInterval: 20 },
    );
    await worker.done;

    const page = await openPage();
    for (const path of [
      '/',
      '/batches',
      `/batches/${job.batchId}`,
      '/queues/images',
      `/jobs/${job.id}`,
    ]) {
      await page.goto(`${origin}${path}`);
      // Wait for one live refresh too: swapped-in markup must be as inert as the first render.
      await page.waitForFunction(() =>
        /updated/.test((document.getElementById('live-status')?.textContent ?? '').trim()),
      );
      const injected = await page.evaluate(() => ({
        elements: document.querySelectorAll(
          'main img, main b, main iframe, main script, main svg[onload], body > script:not([src])',
        ).length,
        scripts: [...document.scripts].map((s) => s.getAttribute('src')),
        handlers: [...document.querySelectorAll('*')].filter((e) =>
          [...e.attributes].some((a) => a.name.startsWith('on')),
        ).length,
      }));
      expect(injected, path).toEqual({
        elements: 0,
        scripts: ['/assets/dashboard.js'],
        handlers: 0,
      });
    }
    await expect(page.locator('.job-key').innerText()).resolves.toBe(key);
    await expect(page.locator('.last-error').innerText()).resolves.toBe(`Error: ${message}`);
    await expect(page.locator('pre.payload').innerText()).resolves.toContain(
      '</pre><script>alert(3)</script>',
    );
    await screenshot(page, 'job-escaped');
  });
});

/** Overview → Batches → the batch, whose bar and list move as the test lets jobs finish. */
async function watchBatch(origin: string, gate: ReturnType<typeof gates>): Promise<void> {
  const page = await openPage();
  await page.goto(`${origin}/`);
  await expect(page.locator('h1').innerText()).resolves.toBe('Overview');
  await waitFor(() => gate.waiting.length === 2, 'two running jobs');
  await page.waitForFunction(
    () =>
      document
        .querySelector('tr[data-queue="images"] td[data-status="running"]')
        ?.textContent?.trim() === '2',
  );

  await page.click('header >> text=Batches');
  await page.waitForURL(`${origin}/batches`);
  await screenshot(page, 'batches');
  await page.click('text=listings.csv');
  await page.waitForURL(/\/batches\/[^/]+$/);
  const bar = '#batch-summary [role=progressbar]';
  expect(await valueNow(page, bar)).toBe(0);
  await page.evaluate(() => (window.notReloaded = true));

  await gate.release(2);
  await page.waitForFunction(
    (selector) => Number(document.querySelector(selector)?.getAttribute('aria-valuenow')) === 2,
    bar,
  );
  const completedWidth = await page.locator(`${bar} rect.completed`).getAttribute('width');
  expect(completedWidth).toBe('33.33%');
  await page.waitForFunction(
    () => document.querySelectorAll('#job-list .badge.running').length === 2,
  );
  await screenshot(page, 'batch');

  await gate.release(4);
  await page.waitForFunction(
    (selector) => Number(document.querySelector(selector)?.getAttribute('aria-valuenow')) === 6,
    bar,
  );
  expect(await page.locator(`${bar} rect.completed`).getAttribute('width')).toBe('100.00%');
  expect(await page.evaluate(() => window.notReloaded)).toBe(true);
  await expect(page.locator('#live-status').innerText()).resolves.toMatch(/live · updated/);

  // Back on the overview, the live chart and counts show the finished batch.
  await page.click('header >> text=Overview');
  await page.waitForFunction(
    () => document.querySelector('svg.chart')?.getAttribute('data-completed') === '6',
  );
  await expect(
    page.locator('tr[data-queue="images"] td[data-status="completed"]').innerText(),
  ).resolves.toBe('6');
  await screenshot(page, 'overview');
}

/** Retry → confirm → flash → live status, until the job completes. */
async function retryUntilCompleted(origin: string, id: string): Promise<void> {
  const page = await openPage();
  await page.goto(`${origin}/jobs/${id}`);
  await expect(page.locator('.job-status .badge').innerText()).resolves.toBe('failed');
  await expect(page.locator('.attempt-error').first().innerText()).resolves.toBe(
    'Error: listing page timed out (run 1)',
  );
  await screenshot(page, 'job-failed');

  for (let round = 1; round <= 3; round++) {
    const status = await page.locator('.job-status .badge').innerText();
    if (status === 'completed') break;
    expect(status).toBe('failed');
    await page.click('#retry-job');
    await page.waitForURL(`${origin}/jobs/${id}/retry`);
    if (round === 1) await screenshot(page, 'confirm-retry');
    // The submit button does nothing until the box is ticked (required), and nothing changes.
    await page.click('#confirm-form button[type=submit]');
    expect(page.url()).toBe(`${origin}/jobs/${id}/retry`);
    await page.check('#confirm-form input[name=confirm]');
    await page.click('#confirm-form button[type=submit]');
    await page.waitForURL(`${origin}/jobs/${id}`);
    await expect(page.locator('.flash').innerText()).resolves.toBe(
      `Job ${id} retried: it is pending again.`,
    );
    // The live update shows the outcome of the new attempt.
    await page.waitForFunction(() =>
      ['failed', 'completed'].includes(
        (document.querySelector('.job-status .badge')?.textContent ?? '').trim(),
      ),
    );
  }
  await expect(page.locator('.job-status .badge').innerText()).resolves.toBe('completed');
  await expect(page.locator('pre.result').innerText()).resolves.toBe('{\n  "images": 5\n}');
  await expect(page.locator('table.attempts tbody tr').count()).resolves.toBe(3);
  await expect(page.locator('#retry-job').count()).resolves.toBe(0);
  await screenshot(page, 'job-completed');
}
