import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.ts';
import { dumpClassArchive, useClassArchive } from './class-archive.ts';
import { ensureKafkaJars, kafkaToolsDir } from './jars.ts';
import { logTail, spawnJava, type JavaChild } from './java-process.ts';
import { formatKraftLogDir } from './kraft-format.ts';
import { probeMetadata } from './metadata-probe.ts';

export type StartKafkaOptions = {
  dataDir: string;
  /** PLAINTEXT port on 127.0.0.1; 0 or undefined picks a free one. */
  port?: number;
  /** CONTROLLER port on 127.0.0.1; 0 or undefined picks a free one. */
  controllerPort?: number;
  /** Broker stdout/stderr; default <dataDir>/kafka.log. */
  logFile?: string;
  /** Default partitions for new topics; default 1. */
  numPartitions?: number;
  /** JVM max heap; default '512m'. */
  heap?: string;
  /** Extra or overriding server.properties entries. */
  properties?: Record<string, string | number | boolean>;
  /** How long to wait for the broker to serve metadata; default 90s. */
  readyTimeoutMs?: number;
  /** Root log level; default $KAFKA_LOG_LEVEL or WARN. */
  logLevel?: string;
  /** Write the JVM class archive that speeds up later starts when this broker stops (prepare-broker-cli.ts). */
  writeClassArchive?: boolean;
};

export type KafkaProcess = {
  /** "127.0.0.1:PORT", for bootstrap.servers / KAFKA_BROKERS. */
  readonly brokers: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Current JVM pid (changes on restart). */
  readonly pid: number;
  /** Whether the current JVM is still alive. */
  running(): boolean;
  /** SIGTERM (controlled shutdown), SIGKILL after 15s; resolves when the JVM is gone. */
  stop(): Promise<void>;
  /** SIGKILL; resolves when the JVM is gone. */
  kill(): Promise<void>;
  /** Stops the JVM if it still runs, then starts it again on the same ports and data dir and waits until ready. */
  restart(): Promise<void>;
};

const NODE_ID = 1;

/** Starts a single-node KRaft broker+controller (Kafka 4) and waits until it serves requests. */
export async function startKafka(opts: StartKafkaOptions): Promise<KafkaProcess> {
  const dataDir = path.resolve(opts.dataDir);
  const logDir = path.join(dataDir, 'logs');
  const logFile = path.resolve(opts.logFile ?? path.join(dataDir, 'kafka.log'));
  const port = opts.port || (await freePort());
  let controllerPort = opts.controllerPort || (await freePort());
  while (controllerPort === port) controllerPort = await freePort();
  const configFile = path.join(dataDir, 'server.properties');
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;

  const [libs] = await Promise.all([ensureKafkaJars('kraft'), mkdir(logDir, { recursive: true })]);
  await mkdir(path.dirname(logFile), { recursive: true });
  await writeFile(configFile, serverProperties({ port, controllerPort, logDir, opts }));

  const jvmArgs = [
    `-Xmx${opts.heap ?? '512m'}`,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(kafkaToolsDir, 'log4j2.xml')}`,
    `-Dkafka.log.level=${opts.logLevel ?? process.env.KAFKA_LOG_LEVEL ?? 'WARN'}`,
  ];

  const home = path.dirname(libs);
  await formatKraftLogDir({ libs, home, logDir, configFile, nodeId: NODE_ID, jvmArgs, logFile });

  let jvm: JavaChild;
  let exitHandled: Promise<void>;
  // Writing the class archive at exit takes 5-10s here: don't SIGKILL the JVM in the middle of it.
  const graceMs = opts.writeClassArchive ? 60_000 : 15_000;
  const launch = async (): Promise<void> => {
    const dump = opts.writeClassArchive ? dumpClassArchive(home, 'broker') : null;
    const classArgs = dump ? dump.jvmArgs : useClassArchive(home, 'broker');
    jvm = spawnJava({ libs, logFile, jvmArgs: [...jvmArgs, ...classArgs], mainClass: 'kafka.Kafka', args: [configFile] });
    exitHandled = jvm.exited.then((code) => dump?.afterExit(code));
    await waitReady(jvm, port, logFile, readyTimeoutMs);
  };
  await launch();

  return {
    brokers: `127.0.0.1:${port}`,
    port,
    controllerPort,
    dataDir,
    logFile,
    get pid() {
      return jvm.pid;
    },
    running: () => jvm.running(),
    async stop() {
      await jvm.stop(graceMs);
      await exitHandled;
    },
    async kill() {
      await jvm.kill();
      await exitHandled;
    },
    async restart() {
      await jvm.stop(graceMs);
      await exitHandled;
      await launch();
    },
  };
}

async function waitReady(jvm: JavaChild, port: number, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!jvm.running()) {
      throw new Error(`Kafka exited during startup (code ${await jvm.exited})\n${logTail(logFile)}`);
    }
    try {
      const meta = await probeMetadata('127.0.0.1', port, 2000);
      if (meta.brokerIds.includes(NODE_ID)) return;
      lastError = `metadata lists brokers [${meta.brokerIds.join(',')}]`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(100);
  }
  await jvm.kill();
  throw new Error(`Kafka on 127.0.0.1:${port} not ready after ${timeoutMs}ms (${lastError})\n${logTail(logFile)}`);
}

function serverProperties(p: { port: number; controllerPort: number; logDir: string; opts: StartKafkaOptions }): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': NODE_ID,
    'controller.quorum.voters': `${NODE_ID}@127.0.0.1:${p.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${p.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': p.logDir,
    'num.partitions': p.opts.numPartitions ?? 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    // One partition instead of 50: the first consumer group joins in well under a second.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // After a SIGKILL the restarted broker cannot re-register until its old session expires
    // (default 9s); 3s keeps crash/restart tests quick, still far above heartbeat gaps seen here.
    'broker.session.timeout.ms': 3000,
    'broker.heartbeat.interval.ms': 500,
    'auto.create.topics.enable': false,
    ...p.opts.properties,
  };
  return Object.entries(props)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')
    .concat('\n');
}
