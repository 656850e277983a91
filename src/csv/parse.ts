/**
 * A streaming RFC 4180 parser: text chunks in, one row at a time out, so a file of any size
 * needs only its current row in memory.
 *
 * Accepted as normal input: a UTF-8 BOM, CRLF or LF (or a lone CR) line ends, quoted fields with
 * commas, line breaks and doubled quotes. A row that breaks the format is yielded with an `error`
 * instead of being thrown, so that a caller can report every bad row of a file (and skip them if
 * asked) rather than stop at the first one.
 */
import { StringDecoder } from 'node:string_decoder';

export interface CsvRow {
  /** 1-based physical line on which the row starts. */
  line: number;
  fields: string[];
  /** Set when the row breaks the format (its fields are then a best effort). */
  error?: string;
}

/** Longest field kept, in characters: far over the 1 MiB payload cap, far under a 1 GB file. */
const MAX_FIELD_LENGTH = 16 * 1024 * 1024;

const QUOTE = 34; // "
const COMMA = 44; // ,
const CR = 13;
const LF = 10;

/**
 * Parses CSV text given in chunks of any size (a chunk may end inside a field, a quote or a CRLF).
 * Rows that are empty lines are skipped; an unclosed quote at the end of the input yields a row
 * whose error names the line where the quote opened.
 */
export async function* parseCsvRows(
  chunks: AsyncIterable<string | Buffer>,
  options: { maxFieldLength?: number } = {},
): AsyncGenerator<CsvRow> {
  const maxFieldLength = options.maxFieldLength ?? MAX_FIELD_LENGTH;
  // Buffers may split a multi-byte character; the decoder carries the partial bytes over.
  const decoder = new StringDecoder('utf8');
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  /** The current field was quoted and its closing quote has been read. */
  let closedQuote = false;
  /** Whether anything (a character or a separator) has been read for the current row. */
  let rowStarted = false;
  let fieldQuoted = false;
  let error: string | undefined;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  /** A quote inside a quoted field whose meaning (escape or end) depends on the next character. */
  let pendingQuote = false;
  /** A CR whose LF may start the next chunk. */
  let pendingCr = false;
  let first = true;
  const breaks = new LineBreakCounter();

  /** Adds to the current field, up to the cap: an unclosed quote early in a huge file must not hold the file. */
  const append = (piece: string): void => {
    if (field.length + piece.length <= maxFieldLength) field += piece;
    else if (error === undefined) {
      error = `a field longer than ${maxFieldLength} characters (an unclosed quote, or not a CSV file?)`;
    }
  };

  const endRow = (): CsvRow | null => {
    fields.push(field);
    const row: CsvRow | null =
      fields.length === 1 && fields[0] === '' && !fieldQuoted && error === undefined
        ? null // a blank line
        : { line: rowLine, fields, ...(error !== undefined ? { error } : {}) };
    fields = [];
    field = '';
    fieldQuoted = false;
    closedQuote = false;
    rowStarted = false;
    error = undefined;
    return row;
  };

  for await (const chunk of chunks) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const length = text.length;
    let i = 0;
    if (pendingCr) {
      pendingCr = false;
      if (length > 0 && text.charCodeAt(0) === LF) i = 1;
    }
    while (i < length) {
      if (pendingQuote) {
        pendingQuote = false;
        if (text.charCodeAt(i) === QUOTE) {
          field += '"';
          i++;
          continue;
        }
        inQuotes = false;
        closedQuote = true;
      }
      if (inQuotes) {
        // Copy everything up to the next quote in one slice: quoted fields may be long.
        const next = text.indexOf('"', i);
        const end = next === -1 ? length : next;
        const piece = text.slice(i, end);
        append(piece);
        line += breaks.count(piece, next !== -1);
        i = end;
        if (next !== -1) {
          i++;
          pendingQuote = true;
        }
        continue;
      }
      const code = text.charCodeAt(i);
      if (code === COMMA) {
        fields.push(field);
        field = '';
        fieldQuoted = false;
        closedQuote = false;
        rowStarted = true;
        i++;
      } else if (code === LF || code === CR) {
        i++;
        if (code === CR) {
          if (i < length) {
            if (text.charCodeAt(i) === LF) i++;
          } else {
            pendingCr = true;
          }
        }
        const row = endRow();
        line++;
        rowLine = line;
        if (row) yield row;
      } else if (code === QUOTE && field === '' && !fieldQuoted) {
        inQuotes = true;
        fieldQuoted = true;
        rowStarted = true;
        quoteLine = line;
        i++;
      } else {
        if (closedQuote && error === undefined) {
          error = `unexpected text after a closing quote (a quote inside a quoted field must be doubled: "")`;
        } else if (code === QUOTE && !fieldQuoted && error === undefined) {
          error = `a quote inside an unquoted field (quote the whole field and double the quote: "a ""b"" c")`;
        }
        // Copy the run of ordinary characters in one slice.
        let end = i + 1;
        while (end < length) {
          const c = text.charCodeAt(end);
          if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
          end++;
        }
        append(text.slice(i, end));
        rowStarted = true;
        i = end;
      }
    }
  }
  if (pendingQuote) {
    inQuotes = false;
    closedQuote = true;
  }
  if (inQuotes) error = `unclosed quote: the quoted field opened on line ${quoteLine} never ends`;
  if (rowStarted || field !== '' || fieldQuoted || error !== undefined) {
    const row = endRow();
    if (row) yield row;
  }
}

/**
 * Counts line breaks (LF, CRLF or a lone CR) inside quoted text that arrives in pieces, where a
 * CRLF may be split between two pieces and must still count once.
 */
class LineBreakCounter {
  #crAtEnd = false;

  /** `closed`: the piece ends at the field's closing quote, so a CR at its end is a lone CR. */
  count(text: string, closed: boolean): number {
    let count = 0;
    if (this.#crAtEnd) {
      this.#crAtEnd = false;
      if (text.charCodeAt(0) !== LF) count++;
    }
    const last = text.length - 1;
    for (let i = 0; i <= last; i++) {
      const code = text.charCodeAt(i);
      if (code === LF) count++;
      else if (code === CR) {
        if (i < last) {
          if (text.charCodeAt(i + 1) !== LF) count++;
        } else if (closed) count++;
        else this.#crAtEnd = true;
      }
    }
    return count;
  }
}
