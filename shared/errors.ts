/**
 * Retriable errors are worth trying again (a broker or database that is down); fatal ones are not
 * (bad configuration, a message that can never be stored). Callers branch on the type, not on text.
 */
export class RetriableError extends Error {
  override name = 'RetriableError';
}

export class FatalError extends Error {
  override name = 'FatalError';
}

/** The broker did not acknowledge in time or cannot be reached. */
export class BrokerUnavailableError extends RetriableError {
  override name = 'BrokerUnavailableError';
}

/** Postgres cannot be reached or refused a connection-level operation. */
export class DatabaseUnavailableError extends RetriableError {
  override name = 'DatabaseUnavailableError';
}

/** A configuration variable is missing or malformed; the message names each variable. */
export class ConfigError extends FatalError {
  override name = 'ConfigError';
}

export function isRetriable(error: unknown): error is RetriableError {
  return error instanceof RetriableError;
}
