// Usage: tsx redpanda/kafka/prepare-broker-cli.ts
// Pays once for what would slow every later KRaft broker start: the jars, the storage format template and
// the JVM class archive (a throwaway broker started and stopped cleanly). Skips what already exists.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { classArchivePath } from './class-archive.ts';
import { ensureKafkaJars } from './jars.ts';
import { startKafka } from './kraft.ts';

const home = path.dirname(await ensureKafkaJars('kraft'));
const archive = classArchivePath(home, 'broker');
if (existsSync(archive)) {
  console.log(`broker class archive: ${archive} (exists)`);
} else {
  const started = Date.now();
  const dataDir = path.join(home, `prepare-${process.pid}`);
  try {
    const kafka = await startKafka({ dataDir, writeClassArchive: true });
    await kafka.stop();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  if (!existsSync(archive)) throw new Error(`broker class archive was not written (${archive})`);
  console.log(`broker class archive: ${archive} (written in ${((Date.now() - started) / 1000).toFixed(1)}s)`);
}
