import { ConfigError } from '../../shared/errors.ts';

/** The port to listen on from a PORT variable; 3000 when unset. */
export function portFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be a port number (0-65535), got "${value}"`);
  }
  return port;
}
