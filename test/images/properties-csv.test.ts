import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPropertiesCsv, splitSources } from '../../src/integrations/images/properties-csv.js';
import { tempDir } from '../helpers/tmp.js';

function csvFile(text: string): string {
  const path = join(tempDir(), 'homes.csv');
  writeFileSync(path, text);
  return path;
}

describe('readPropertiesCsv', () => {
  it('reads a BOM, CRLF, quoted commas and blank lines, and merges duplicate addresses', async () => {
    const file = csvFile(
      '\uFEFFaddress,listing_url,photos,beds\r\n' +
        '"12 Main St, Phoenix, AZ",https://a.example/1,"x.jpg | y.jpg",3\r\n' +
        '\r\n' +
        '"34 Oak Ave, Mesa, AZ",https://a.example/2,,2\r\n' +
        '\r\n' +
        '"12  main st, PHOENIX, AZ ",https://b.example/1,x.jpg z.jpg,3\r\n',
    );
    const csv = await readPropertiesCsv(file);
    expect(csv.sourceColumns).toEqual(['listing_url', 'photos']);
    expect(csv.merged).toBe(1);
    expect(csv.properties).toEqual([
      {
        address: '12 Main St, Phoenix, AZ',
        sources: ['https://a.example/1', 'x.jpg', 'y.jpg', 'https://b.example/1', 'z.jpg'],
        beds: '3',
        baseDir: expect.stringMatching(/holdfast-/),
      },
      {
        address: '34 Oak Ave, Mesa, AZ',
        sources: ['https://a.example/2'],
        beds: '2',
        baseDir: expect.any(String),
      },
    ]);
  });

  it('reports a missing address with its line number, and every bad row at once', async () => {
    const file = csvFile('address,url\n1 A St,u1\n,u2\n\n"",u3\n3 C St,u4,extra\n');
    const error = await readPropertiesCsv(file).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('3 invalid rows; nothing was enqueued');
    expect((error as Error).message).toContain(
      'line 3: missing address (column "address" is empty)',
    );
    expect((error as Error).message).toContain('line 5: missing address');
    expect((error as Error).message).toContain(
      'line 6: expected 2 fields (as in the header), got 3',
    );
  });

  it('names the columns when the address or source columns are wrong', async () => {
    const file = csvFile('street,url\n1 A St,u1\n');
    await expect(readPropertiesCsv(file)).rejects.toThrow(
      /has no column "address" \(its columns are "street", "url"\); name it with --address-column/,
    );
    await expect(
      readPropertiesCsv(file, { addressColumn: 'street', sourceColumns: ['pics'] }),
    ).rejects.toThrow(/--source-columns: .* has no column "pics"/);
    const result = await readPropertiesCsv(file, { addressColumn: 'street' });
    expect(result.properties[0]).toMatchObject({ address: '1 A St', sources: ['u1'] });
    const none = csvFile('address,beds\n1 A St,3\n');
    await expect(readPropertiesCsv(none)).rejects.toThrow(
      /no column looks like it holds sources .*--source-columns/,
    );
  });

  it('splits cells on spaces and pipes', () => {
    expect(splitSources(' a.jpg|b.jpg  |  c.jpg d.jpg ')).toEqual([
      'a.jpg',
      'b.jpg',
      'c.jpg',
      'd.jpg',
    ]);
    expect(splitSources('')).toEqual([]);
  });
});
