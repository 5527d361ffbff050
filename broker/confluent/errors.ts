import { BrokerUnavailableError, FatalError } from '../../shared/errors.ts';

// librdkafka codes that no retry can fix: the request itself is wrong or not allowed.
const FATAL_CODES = new Set([10 /* MSG_SIZE_TOO_LARGE */, 17 /* INVALID_TOPIC */, 29, 30, 31 /* *_AUTHORIZATION_FAILED */]);

export function toPortError(error: unknown, what: string): BrokerUnavailableError | FatalError {
  const code = (error as { code?: number })?.code;
  const message = `${what}: ${(error as Error)?.message ?? String(error)}`;
  if (typeof code === 'number' && FATAL_CODES.has(code)) return new FatalError(message, { cause: error });
  return new BrokerUnavailableError(message, { cause: error });
}
