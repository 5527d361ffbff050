import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runJava } from './java-process.ts';

export type FormatOptions = {
  libs: string;
  /** Per-Kafka-version cache dir (.data/kafka/kraft-<version>), holds the format template. */
  home: string;
  logDir: string;
  configFile: string;
  nodeId: number;
  jvmArgs: string[];
  logFile: string;
};

/**
 * Makes logDir a formatted KRaft log dir unless it already is one (an existing dir keeps its cluster id and data).
 * `kafka-storage format` writes only meta.properties and bootstrap.checkpoint, and the checkpoint holds just the
 * feature levels of this Kafka version. So StorageTool runs once per version into a template, and each new
 * dir gets a copy of its checkpoint plus a fresh meta.properties: one JVM start (2-5s here) saved per broker.
 */
export async function formatKraftLogDir(o: FormatOptions): Promise<void> {
  if (existsSync(path.join(o.logDir, 'meta.properties'))) return;
  const template = path.join(o.home, 'format-template');
  if (!existsSync(path.join(template, 'bootstrap.checkpoint'))) await makeTemplate(o, template);

  await mkdir(o.logDir, { recursive: true });
  await copyFile(path.join(template, 'bootstrap.checkpoint'), path.join(o.logDir, 'bootstrap.checkpoint'));
  await writeFile(
    path.join(o.logDir, 'meta.properties'),
    [
      '# as written by kafka-storage format',
      `node.id=${o.nodeId}`,
      `directory.id=${kafkaUuid()}`,
      'version=1',
      `cluster.id=${kafkaUuid()}`,
      '',
    ].join('\n'),
  );
}

async function makeTemplate(o: FormatOptions, template: string): Promise<void> {
  const staging = `${template}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  await mkdir(staging, { recursive: true });
  const config = (await readFile(o.configFile, 'utf8')).replace(/^log\.dirs=.*$/m, `log.dirs=${staging}`);
  const stagingConfig = path.join(staging, 'server.properties');
  await writeFile(stagingConfig, config);
  try {
    await runJava({
      libs: o.libs,
      logFile: o.logFile,
      jvmArgs: [...o.jvmArgs, '-XX:TieredStopAtLevel=1'],
      mainClass: 'kafka.tools.StorageTool',
      args: ['format', '-t', kafkaUuid(), '-c', stagingConfig],
    });
    await rename(staging, template).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err; // another process made it first
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A random Kafka Uuid as Kafka prints it (URL-safe base64); a leading '-' would read as a CLI flag. */
export function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
