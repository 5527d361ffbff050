import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** bootstrap servers, "127.0.0.1:PORT" ($KAFKA_BROKERS when set). */
    kafkaBrokers: string;
    /** The broker global-setup started, for fault tests (null when $KAFKA_BROKERS was used). */
    kafkaBroker: { dataDir: string; port: number; controllerPort: number; logFile: string; pid: number } | null;
    /** postgres://... ($DATABASE_URL when set). */
    databaseUrl: string;
  }
}
