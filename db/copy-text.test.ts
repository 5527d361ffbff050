import { describe, expect, it } from 'vitest';
import { copyTextRow } from './copy-text.ts';

describe('copyTextRow', () => {
  it('joins fields with tabs, ends the line, and writes NULL as \\N', () => {
    expect(copyTextRow(['a', null, 7, 'b'])).toBe('a\t\\N\t7\tb\n');
  });

  it('escapes the characters COPY gives meaning to, so the text "\\N" is not NULL', () => {
    expect(copyTextRow(['back\\slash', 'tab\there', 'two\nlines', 'cr\rhere', '\\N'])).toBe(
      'back\\\\slash\ttab\\there\ttwo\\nlines\tcr\\rhere\t\\\\N\n',
    );
  });
});
