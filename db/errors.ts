import { DatabaseUnavailableError, FatalError } from '../shared/errors.ts';

// SQLSTATE classes that mean "the server, the connection or our own setup", not "this data":
// class 42 (a missing table or grant) must stop the consumer, not dead-letter the whole stream.
const RETRIABLE_SQLSTATE = /^(08|53|57|58|40|42)/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/** Sorts a driver error into "try again later" or "this data can never be stored". */
export function classifyDatabaseError(error: unknown): DatabaseUnavailableError | FatalError {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const code = String((cause as { code?: unknown })?.code ?? (error as { code?: unknown })?.code ?? '');
  const message = (cause as Error)?.message ?? String(cause);
  if (NETWORK_CODES.has(code) || RETRIABLE_SQLSTATE.test(code)) {
    return new DatabaseUnavailableError(`${code}: ${message}`, { cause: error });
  }
  if (/connect|terminat|timeout|closed/i.test(message) && !/^(22|23)/.test(code)) {
    return new DatabaseUnavailableError(`${code || 'network'}: ${message}`, { cause: error });
  }
  return new FatalError(`${code || 'error'}: ${message}`, { cause: error });
}
