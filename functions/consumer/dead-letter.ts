import type { IncomingMessage, OutgoingMessage } from '../../shared/broker-port.ts';

export interface DeadLetter {
  readonly message: IncomingMessage;
  readonly reason: string;
}

/** The original bytes and headers, plus headers saying why and from where. */
export function toDeadLetterMessage({ message, reason }: DeadLetter): OutgoingMessage {
  return {
    key: message.key,
    value: message.value ?? new Uint8Array(),
    headers: {
      ...message.headers,
      'dlq.reason': reason,
      'dlq.source.topic': message.topic,
      'dlq.source.partition': String(message.partition),
      'dlq.source.offset': message.offset,
    },
  };
}
