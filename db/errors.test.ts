import { expect, it } from 'vitest';
import { DatabaseUnavailableError, FatalError } from '../shared/errors.ts';
import { classifyDatabaseError } from './errors.ts';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

it.each([
  ['ECONNREFUSED', 'connection refused'],
  ['57P01', 'terminating connection due to administrator command'],
  ['08006', 'connection failure'],
  ['42501', 'permission denied for table clickstream_data'],
  ['42P01', 'relation "clickstream_data" does not exist'],
])('treats %s as an outage to wait out', (code, message) => {
  expect(classifyDatabaseError(pgError(code, message))).toBeInstanceOf(DatabaseUnavailableError);
});

it.each([
  ['22001', 'value too long for type character varying(32)'],
  ['22008', 'date/time field value out of range'],
  ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
])('treats %s as data that can never be stored', (code, message) => {
  expect(classifyDatabaseError(pgError(code, message))).toBeInstanceOf(FatalError);
});

it('looks through a driver wrapper to its cause', () => {
  const wrapped = Object.assign(new Error('Failed query: insert ...'), { cause: pgError('57P01', 'terminating') });
  expect(classifyDatabaseError(wrapped)).toBeInstanceOf(DatabaseUnavailableError);
});
