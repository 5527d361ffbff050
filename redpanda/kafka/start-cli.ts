// `npm run broker:start`: a dev KRaft broker on 127.0.0.1:9092 (data kept in .data/kafka/dev) until Ctrl-C.
import path from 'node:path';
import { repoRoot } from './jars.ts';
import { logTail } from './java-process.ts';
import { startKafka } from './kraft.ts';

const started = Date.now();
const kafka = await startKafka({
  dataDir: path.join(repoRoot, '.data', 'kafka', 'dev'),
  port: 9092,
  controllerPort: 9093,
});
console.log(`Kafka ready in ${((Date.now() - started) / 1000).toFixed(1)}s (pid ${kafka.pid}, log ${path.relative(process.cwd(), kafka.logFile)})`);
console.log(`KAFKA_BROKERS=${kafka.brokers}`);
console.log('Ctrl-C to stop');

let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('stopping Kafka...');
  await kafka.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
setInterval(() => {
  if (!stopping && !kafka.running()) {
    console.error(`Kafka exited on its own\n${logTail(kafka.logFile)}`);
    process.exit(1);
  }
}, 1000);
