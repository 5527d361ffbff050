import { BrokerUnavailableError, FatalError } from '../../shared/errors.ts';

/** Broker answers that no retry can fix: the request itself is wrong or not allowed. */
const FATAL_API_IDS = [
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_CONFIG',
  'POLICY_VIOLATION',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
];

/** The shape of @platformatic/kafka's errors (GenericError, MultipleErrors) that we rely on. */
interface KafkaError extends Error {
  code?: string;
  apiId?: string;
  errors?: unknown[];
  cause?: unknown;
}

/** The error and every error inside it, through MultipleErrors' `errors` and `cause` chains. */
function* chain(error: unknown, depth = 0): Generator<KafkaError> {
  if (!error || typeof error !== 'object' || depth > 10) return;
  const e = error as KafkaError;
  yield e;
  for (const inner of e.errors ?? []) yield* chain(inner, depth + 1);
  yield* chain(e.cause, depth + 1);
}

function isFatal(error: KafkaError): boolean {
  // A refused login surfaces as "Connection to ... failed", caused by the AuthenticationError.
  for (const e of chain(error)) {
    if (e.code === 'PLT_KFK_AUTHENTICATION') return true;
    if (e.apiId && FATAL_API_IDS.includes(e.apiId)) return true;
  }
  // A UserError at the top is a request this client refuses (bad options, unserialisable message);
  // "Unknown topic" is the exception: a topic being created or re-created can appear later.
  return error.code === 'PLT_KFK_USER' && !/^Unknown topic/.test(error.message);
}

/** The message of the innermost error, which names the cause ("connect ECONNREFUSED ...") better than the wrapper. */
export function describeKafkaError(error: unknown): string {
  const e = error as KafkaError | undefined;
  if (!e || typeof e !== 'object') return String(error);
  const inner = e.errors?.at(-1);
  if (inner) return `${e.message} ${describeKafkaError(inner)}`;
  const cause = (e as { cause?: unknown }).cause;
  return cause ? `${e.message} (${describeKafkaError(cause)})` : e.message;
}

export function toPortError(error: unknown, what: string): BrokerUnavailableError | FatalError {
  if (error instanceof BrokerUnavailableError || error instanceof FatalError) return error;
  const message = `${what}: ${describeKafkaError(error)}`;
  if (error && typeof error === 'object' && isFatal(error as KafkaError)) return new FatalError(message, { cause: error });
  return new BrokerUnavailableError(message, { cause: error });
}
