/**
 * One row of COPY's text format: fields split by tabs, `\N` for NULL, and the four characters the
 * format gives meaning to (backslash, tab, line feed, carriage return) escaped, so any text survives.
 */
export function copyTextRow(fields: readonly (string | number | null)[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const value = fields[i];
    if (i > 0) line += '\t';
    if (value === null || value === undefined) line += '\\N';
    else if (typeof value === 'number') line += value;
    // Most values (ids, times, catalogue words) need no escaping: skip the copy a replace would make.
    else line += NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, escape) : value;
  }
  return `${line}\n`;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escape = (char: string) => ESCAPES[char]!;
