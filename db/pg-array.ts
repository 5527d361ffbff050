/**
 * A Postgres array literal (`{"a","b",NULL}`) for one text parameter. Drizzle's postgres.js driver
 * passes parameters as text without serialising arrays, and a literal keeps the statement at one
 * parameter per column however large the batch. Every element is quoted, so commas, braces,
 * quotes and backslashes in user text survive unchanged.
 */
export function toPgArrayLiteral(values: readonly (string | number | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    out += value === null ? 'NULL' : `"${String(value).replace(/[\\"]/g, '\\$&')}"`;
  }
  return `${out}}`;
}
