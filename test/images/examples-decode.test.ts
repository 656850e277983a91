/** The example images are real: a real browser (Chromium) decodes every one to the picture intended. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageInfo } from '../../src/integrations/images/image-info.js';

const IMAGES = fileURLToPath(new URL('../../examples/images/', import.meta.url));
const MIME = { jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp' };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
});

describe('examples/images', () => {
  it('decode in Chromium at the size their headers state: sky on top, desert below', async () => {
    const page = await browser.newPage();
    const names = readdirSync(IMAGES);
    expect(names.length).toBeGreaterThan(60);
    for (const name of names) {
      const bytes = readFileSync(IMAGES + name);
      const info = readImageInfo(bytes)!;
      expect(info, name).not.toBeNull();
      const url = `data:${MIME[info.type]};base64,${bytes.toString('base64')}`;
      // Runs in the page; a string because this project's types have no DOM.
      const decoded = (await page.evaluate(`(async () => {
        const img = new Image();
        img.src = ${JSON.stringify(url)};
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const g = canvas.getContext('2d');
        g.drawImage(img, 0, 0);
        const at = (y) => [...g.getImageData(Math.floor(img.naturalWidth / 2), y, 1, 1).data];
        return { width: img.naturalWidth, height: img.naturalHeight, top: at(2), bottom: at(img.naturalHeight - 3) };
      })()`)) as { width: number; height: number; top: number[]; bottom: number[] };
      expect({ name, width: decoded.width, height: decoded.height }).toEqual({
        name,
        width: info.width,
        height: info.height,
      });
      const [r1, , b1] = decoded.top;
      const [r2, , b2] = decoded.bottom;
      expect(b1! - r1!, `${name}: sky should be blue`).toBeGreaterThan(60);
      expect(r2! - b2!, `${name}: ground should be sandy`).toBeGreaterThan(15);
    }
    await page.close();
  });
});
