import { describe, expect, it } from 'vitest';
import { parseCsvRows, type CsvRow } from '../../src/csv/parse.js';
import { CsvFileError, openCsv, type CsvItem } from '../../src/csv/records.js';

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function rows(text: string, size = text.length || 1): Promise<CsvRow[]> {
  const out: CsvRow[] = [];
  for await (const row of parseCsvRows(chunked(text, size))) out.push(row);
  return out;
}

async function items(text: string): Promise<{ header: string[]; items: CsvItem[] }> {
  const table = await openCsv(chunked(text, 7));
  const out: CsvItem[] = [];
  for await (const item of table.records) out.push(item);
  return { header: table.header, items: out };
}

describe('parseCsvRows', () => {
  it('strips a UTF-8 BOM and reads CRLF line ends', async () => {
    expect(await rows('\uFEFFname,city\r\nAda,London\r\n')).toEqual([
      { line: 1, fields: ['name', 'city'] },
      { line: 2, fields: ['Ada', 'London'] },
    ]);
  });

  it('keeps commas, line breaks and doubled quotes inside quoted fields, counting lines', async () => {
    const text = 'a,b\n"1 Main St, Apt 2","say ""hi"""\n"two\r\nlines",x\nlast,row\n';
    expect(await rows(text)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1 Main St, Apt 2', 'say "hi"'] },
      { line: 3, fields: ['two\r\nlines', 'x'] },
      { line: 5, fields: ['last', 'row'] },
    ]);
  });

  it('skips blank lines but keeps a quoted empty field and counts the skipped lines', async () => {
    expect(await rows('a\n\n\r\n""\nb')).toEqual([
      { line: 1, fields: ['a'] },
      { line: 4, fields: [''] },
      { line: 5, fields: ['b'] },
    ]);
  });

  it('gives the same rows whatever the chunk size (a chunk may split a CRLF, a quote pair or a field)', async () => {
    const text = '\uFEFFid,"note"\r\n1,"a ""b""\r\nc"\r\n\r\n2,"x,y"\r3,plain\n';
    const whole = await rows(text);
    expect(whole.map((row) => row.line)).toEqual([1, 2, 5, 6]);
    for (let size = 1; size <= text.length; size++) expect(await rows(text, size)).toEqual(whole);
  });

  it('reports an unclosed quote at the end with the line where it opened', async () => {
    const result = await rows('a,b\n1,2\n3,"open\nstill open\n', 2);
    expect(result[2]).toMatchObject({
      line: 3,
      error: expect.stringContaining('opened on line 3'),
    });
    expect(result).toHaveLength(3);
  });

  it('flags text after a closing quote and a bare quote inside an unquoted field', async () => {
    const result = await rows('"ab"c,1\nx"y,2\nok,3\n');
    expect(result[0]!.error).toMatch(/after a closing quote/);
    expect(result[1]!.error).toMatch(/quote inside an unquoted field/);
    expect(result[2]).toEqual({ line: 3, fields: ['ok', '3'] });
  });

  it('decodes UTF-8 split across Buffer chunks, BOM included', async () => {
    const bytes = Buffer.from('\uFEFFname,emoji\nZoë,"😀, ok"\n', 'utf8');
    for (const size of [1, 2, 3, 5]) {
      const out: CsvRow[] = [];
      async function* pieces() {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      for await (const row of parseCsvRows(pieces())) out.push(row);
      expect(out).toEqual([
        { line: 1, fields: ['name', 'emoji'] },
        { line: 2, fields: ['Zoë', '😀, ok'] },
      ]);
    }
  });

  it('stops growing a field at the cap and says why, still counting lines', async () => {
    const out: CsvRow[] = [];
    const text = 'a\n"' + 'x\n'.repeat(50) + '"\nb\n';
    for await (const row of parseCsvRows(chunked(text, 8), { maxFieldLength: 20 })) out.push(row);
    expect(out[1]).toMatchObject({
      line: 2,
      error: expect.stringContaining('longer than 20 characters'),
    });
    expect(out[1]!.fields[0]!.length).toBeLessThanOrEqual(20);
    expect(out[2]).toEqual({ line: 53, fields: ['b'] });
  });

  it('reads a last row without a line end, and empty input as no rows', async () => {
    expect(await rows('a,b\n1,2')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
    ]);
    expect(await rows('')).toEqual([]);
  });
});

describe('openCsv', () => {
  it('keys each row by the header', async () => {
    const { header, items: result } = await items('address,city\n"1 Main St, Apt 2",Springfield\n');
    expect(header).toEqual(['address', 'city']);
    expect(result).toEqual([
      { line: 2, record: { address: '1 Main St, Apt 2', city: 'Springfield' } },
    ]);
  });

  it('reports a ragged row with expected and actual field counts, and goes on', async () => {
    const { items: result } = await items('a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n');
    expect(result.map((item) => [item.line, item.error ?? 'ok'])).toEqual([
      [2, 'ok'],
      [3, 'expected 3 fields (as in the header), got 2'],
      [4, 'expected 3 fields (as in the header), got 4'],
      [5, 'ok'],
    ]);
  });

  it('keeps a column named __proto__ as plain data', async () => {
    const { items: result } = await items('__proto__,b\nx,y\n');
    const record = result[0]!.record!;
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(JSON.stringify(record)).toBe('{"__proto__":"x","b":"y"}');
  });

  it('refuses an empty file, an unnamed column and a duplicate column', async () => {
    await expect(items('\n\n')).rejects.toThrow(/empty: expected a header row/);
    await expect(items('a,,c\n1,2,3\n')).rejects.toThrow(/column 2 has no name/);
    await expect(items('a,b,a\n')).rejects.toThrow(CsvFileError);
  });
});
