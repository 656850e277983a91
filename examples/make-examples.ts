/**
 * Writes the offline example that `npm start` runs on: examples/properties.csv, listing pages in
 * examples/listings/ and small real images in examples/images/. Deterministic: running it again
 * produces the same bytes, so the committed files only change when this script does.
 *
 *   npx tsx examples/make-examples.ts
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeGif, encodeJpeg, encodePng, type Rgb } from './tiny-images.js';

const ROOT = dirname(fileURLToPath(import.meta.url));

const STREETS = [
  '1402 E Camelback Rd, Phoenix, AZ 85014', '2231 W Glendale Ave, Phoenix, AZ 85021', '4815 N 44th St, Phoenix, AZ 85018',
  '7120 E Indian School Rd, Scottsdale, AZ 85251', '3302 S Mill Ave, Tempe, AZ 85282', '915 W Baseline Rd, Mesa, AZ 85210',
  '18250 N Cave Creek Rd, Phoenix, AZ 85032', '6401 W Thunderbird Rd, Glendale, AZ 85306', '2750 E Chandler Blvd, Chandler, AZ 85225',
  '1110 N Gilbert Rd, Gilbert, AZ 85234', '8520 W Peoria Ave, Peoria, AZ 85345', '5005 E Shea Blvd, Scottsdale, AZ 85254',
  '3620 N Central Ave, Phoenix, AZ 85012', '12040 W McDowell Rd, Avondale, AZ 85392', '601 S Ash Ave, Tempe, AZ 85281',
  '14230 N 59th Ave, Glendale, AZ 85306', '2209 E Elliot Rd, Tempe, AZ 85284', '9332 E Apache Trail, Mesa, AZ 85207',
  '4410 W Dunlap Ave, Phoenix, AZ 85051', '1700 S Val Vista Dr, Gilbert, AZ 85296', '7788 E Pinnacle Peak Rd, Scottsdale, AZ 85255',
  '325 W Roosevelt St, Phoenix, AZ 85003', '15815 S 50th St, Phoenix, AZ 85048', '2044 N Power Rd, Mesa, AZ 85215',
  '10221 N 32nd St, Phoenix, AZ 85028', '5530 W Bell Rd, Glendale, AZ 85308', '880 E Warner Rd, Chandler, AZ 85225',
  '13001 W Bell Rd, Surprise, AZ 85374', '4025 E Southern Ave, Phoenix, AZ 85040', '20651 N Scottsdale Rd, Scottsdale, AZ 85255',
];

/** A tiny house photo as 8x8 blocks: sky, desert ground, a wall, a roof and a door, colours from `seed`. */
function houseBlock(seed: number, bw: number, bh: number): (bx: number, by: number) => Rgb {
  const wall: Rgb = [200 - ((seed * 37) % 90), 170 - ((seed * 23) % 70), 130 + ((seed * 11) % 80)];
  const roof: Rgb = [120 + ((seed * 29) % 100), 60 + ((seed * 7) % 40), 40];
  return (bx, by) => {
    const horizon = Math.floor(bh * 0.7);
    const left = Math.floor(bw * 0.25);
    const right = Math.floor(bw * 0.75);
    const roofTop = Math.floor(bh * 0.3);
    if (by >= horizon) return [190 - by * 2, 160 - by, 110]; // desert ground
    if (bx >= left && bx < right && by >= Math.floor(bh * 0.45)) {
      const door = bx === Math.floor((left + right) / 2) && by >= horizon - 3;
      return door ? [90, 50, 30] : wall;
    }
    const roofReach = by - roofTop;
    if (by >= roofTop && by < Math.floor(bh * 0.45) && bx >= left - roofReach + 2 && bx < right + roofReach - 2) return roof;
    return [120 - by * 4, 170 - by * 3, 235]; // sky
  };
}

function jpeg(seed: number): Buffer {
  const [w, h] = [320, 240];
  return encodeJpeg(w, h, houseBlock(seed, w / 8, h / 8));
}

function png(seed: number): Buffer {
  const block = houseBlock(seed, 20, 15);
  return encodePng(160, 120, (x, y) => block(x >> 3, y >> 3));
}

function gif(seed: number): Buffer {
  const palette: Rgb[] = [[100, 160, 235], [200, 170, 120], [150, 70, 40], [190, 150, 110], [60, 120, 60]];
  return encodeGif(96, 64, palette, (x, y) => {
    if (y > 44) return 3;
    if (x > 24 && x < 72 && y > 26) return 1;
    if (y > 16 && y <= 26 && x > 20 - (y - 16) + 16 && x < 76 + (y - 16) - 16) return 2;
    return (x + seed) % 17 === 0 && y < 10 ? 4 : 0;
  });
}

const page = (title: string, body: string, head = '') =>
  `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n${head}</head>\n<body>\n<h1>${title}</h1>\n${body}\n</body>\n</html>\n`;

function main(): void {
  for (const dir of ['images', 'listings']) rmSync(join(ROOT, dir), { recursive: true, force: true });
  mkdirSync(join(ROOT, 'images'));
  mkdirSync(join(ROOT, 'listings'));
  const write = (path: string, data: string | Buffer) => writeFileSync(join(ROOT, path), data);

  // Shared by several listings: the subdivision's pool and the agent's logo.
  write('images/community-pool.jpg', jpeg(99));
  write('images/agent-logo.png', png(98));
  const rows: string[][] = [['address', 'listing_url', 'photo_urls', 'beds', 'baths']];
  STREETS.forEach((address, i) => {
    const n = String(i + 1).padStart(2, '0');
    const front = `p${n}-front.jpg`;
    const yard = `p${n}-yard.png`;
    write(`images/${front}`, jpeg(i + 1));
    write(`images/${yard}`, png(i + 1));
    let listing = `listings/p${n}.html`;
    let photos = '';
    const title = address.split(',')[0]!;
    switch (i % 5) {
      case 0: // plain img with srcset; the largest candidate is the real photo
        write(listing, page(title, `<img src="../images/${yard}" alt="yard">\n<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" srcset="../images/${front} 1600w, ../images/${yard} 640w">\n<img src="../images/community-pool.jpg" alt="pool">`));
        break;
      case 1: // lazy loading: a placeholder in src, the photo in data-src
        write(listing, page(title, `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="../images/${front}">\n<img class="lazy" src="../images/spacer.gif" data-src="../images/${yard}">`));
        break;
      case 2: // og:image and JSON-LD only (a page built by script)
        write(
          listing,
          page(
            title,
            '<div id="gallery"></div>',
            `<meta property="og:image" content="../images/${front}">\n<script type="application/ld+json">${JSON.stringify({ '@context': 'https://schema.org', '@type': 'SingleFamilyResidence', name: title, image: [{ '@type': 'ImageObject', url: `../images/${yard}` }, '../images/agent-logo.png'] })}</script>\n`,
          ),
        );
        break;
      case 3: // no page: direct image sources, two in one cell
        listing = '';
        photos = `images/${front} | images/${yard}`;
        break;
      default: // two listing sites showing the same front photo: stored once
        write(listing, page(title, `<img src="../images/${front}"><img src="../images/${yard}">`));
        // The other site serves its own copy of the front photo: another URL, the same bytes.
        write(`images/p${n}-front-copy.jpg`, jpeg(i + 1));
        write(`listings/p${n}-mirror.html`, page(`${title} (another site)`, `<picture><img src="../images/p${n}-front-copy.jpg" alt="front"></picture>\n<img src="../images/agent-logo.png">`));
        photos = `listings/p${n}-mirror.html`;
    }
    if (i === 6) photos = 'listings/p07-removed.html'; // the broken source: this listing was taken down
    rows.push([address, listing, photos, String(2 + (i % 4)), String(1 + (i % 3))]);
  });
  write('images/spacer.gif', gif(1));
  const csv = rows.map((row) => row.map((cell) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(',')).join('\n');
  write('properties.csv', `${csv}\n`);
}

main();
