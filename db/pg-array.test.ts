import { expect, it } from 'vitest';
import { toPgArrayLiteral } from './pg-array.ts';

it('quotes every element and escapes quotes and backslashes', () => {
  expect(toPgArrayLiteral(['a', null, 'b,c', '{x}', 'say "hi"', 'back\\slash', 7])).toBe(
    '{"a",NULL,"b,c","{x}","say \\"hi\\"","back\\\\slash","7"}',
  );
  expect(toPgArrayLiteral([])).toBe('{}');
});
