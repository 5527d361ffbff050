/**
 * A Postgres array literal (`{"a","b",NULL}`) for one text parameter. Drizzle's postgres.js driver
 * passes parameters as text without serialising arrays, and a literal keeps the statement at one
 * parameter per column however large the batch. Every element is quoted, so commas, braces,
 * quotes and backslashes in user text survive unchanged.
 */
export function toPgArrayLiteral(values: readonly (string | number | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) parts[i] = 'NULL';
    else {
      const text = String(value);
      // Most values (ids, times, catalogue words) need no escaping: skip the copy a replace would make.
      parts[i] = NEEDS_ESCAPE.test(text) ? `"${text.replace(ESCAPED, '\\$&')}"` : `"${text}"`;
    }
  }
  return `{${parts.join(',')}}`;
}

const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;
