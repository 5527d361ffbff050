import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.ts';
import { ensureKafkaJars, kafkaToolsDir } from './jars.ts';
import { logTail, spawnJava, type JavaChild } from './java-process.ts';
import { probeMetadata } from './metadata-probe.ts';
import { zookeeperMode } from './zookeeper-probe.ts';

// The seed project's topology: 3 ZooKeeper nodes and 2 Kafka 3.9 brokers in ZooKeeper mode, for fault tests
// (a broker or a ZooKeeper node killed and restarted while the pipeline runs).

export type ZkClusterOptions = {
  dataDir: string;
  /** Kafka brokers, ids 1..n; default 2. */
  brokers?: number;
  /** ZooKeeper nodes, ids 1..n; default 3. */
  zookeepers?: number;
  /** Extra or overriding server.properties entries for every broker. */
  properties?: Record<string, string | number | boolean>;
  /** Per start of the whole cluster or of one node; default 120s. */
  readyTimeoutMs?: number;
  /** Root log level; default $KAFKA_LOG_LEVEL or WARN. */
  logLevel?: string;
};

export type ClusterNode = {
  readonly id: number;
  /** Kafka: PLAINTEXT port; ZooKeeper: client port. */
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  running(): boolean;
  /** SIGTERM, SIGKILL after 15s; resolves when the JVM is gone. */
  stop(): Promise<void>;
  /** SIGKILL; resolves when the JVM is gone. */
  kill(): Promise<void>;
  /** Stops it if it still runs, starts it again on the same ports and data, waits until it serves. */
  restart(): Promise<void>;
};

export type ZkCluster = {
  /** "127.0.0.1:P1,127.0.0.1:P2", for bootstrap.servers / KAFKA_BROKERS. */
  readonly brokers: string;
  /** "127.0.0.1:Z1,127.0.0.1:Z2,127.0.0.1:Z3" */
  readonly zookeeperConnect: string;
  readonly kafka: ClusterNode[];
  readonly zookeeper: ClusterNode[];
  /** Waits until every broker is registered and no partition lacks a leader or an in-sync replica. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Brokers first (controlled shutdown needs ZooKeeper), then ZooKeeper. */
  stop(): Promise<void>;
  kill(): Promise<void>;
};

// ZooKeeper's and Kafka's defaults. A 6s session expired during broker startup on this loaded 2-core machine.
// It is also how long a SIGKILLed broker's registration outlives it (see retryWhenLogSays).
const ZK_TICK_MS = 2000;
const ZK_SESSION_TIMEOUT_MS = 18_000;

export async function startZkCluster(opts: ZkClusterOptions): Promise<ZkCluster> {
  const dataDir = path.resolve(opts.dataDir);
  const brokerCount = opts.brokers ?? 2;
  const zkCount = opts.zookeepers ?? 3;
  const timeoutMs = opts.readyTimeoutMs ?? 120_000;
  const libs = await ensureKafkaJars('zk');
  const jvmLogArgs = [
    `-Dlog4j.configuration=file:${path.join(kafkaToolsDir, 'log4j-zk.properties')}`,
    `-Dkafka.log.level=${opts.logLevel ?? process.env.KAFKA_LOG_LEVEL ?? 'WARN'}`,
  ];

  const zkPorts = await distinctPorts(zkCount * 3);
  const zkNodes = Array.from({ length: zkCount }, (_, i) => ({
    id: i + 1,
    client: zkPorts[i * 3]!,
    peer: zkPorts[i * 3 + 1]!,
    election: zkPorts[i * 3 + 2]!,
  }));
  const zookeeperConnect = zkNodes.map((z) => `127.0.0.1:${z.client}`).join(',');
  const kafkaPorts = await distinctPorts(brokerCount, new Set(zkPorts));
  const brokerIds = kafkaPorts.map((_, i) => i + 1);

  const zookeeper = await Promise.all(
    zkNodes.map(async (z) => {
      const dir = path.join(dataDir, `zk-${z.id}`);
      await mkdir(path.join(dir, 'data'), { recursive: true });
      await writeFile(path.join(dir, 'data', 'myid'), `${z.id}\n`);
      const config = path.join(dir, 'zoo.cfg');
      await writeFile(config, zooCfg(path.join(dir, 'data'), z.client, zkNodes));
      return makeNode({
        id: z.id,
        port: z.client,
        logFile: path.join(dir, 'zookeeper.log'),
        spawn: (logFile) =>
          spawnJava({
            libs,
            logFile,
            jvmArgs: ['-Xmx128m', '-Dzookeeper.admin.enableServer=false', ...jvmLogArgs],
            mainClass: 'org.apache.zookeeper.server.quorum.QuorumPeerMain',
            args: [config],
          }),
        // srvr reports a Mode only once the node has joined a quorum.
        ready: async () => (await zookeeperMode('127.0.0.1', z.client)) !== null,
        timeoutMs,
      });
    }),
  );

  const kafka = await Promise.all(
    kafkaPorts.map(async (port, i) => {
      const id = i + 1;
      const dir = path.join(dataDir, `kafka-${id}`);
      await mkdir(path.join(dir, 'logs'), { recursive: true });
      const config = path.join(dir, 'server.properties');
      const props = brokerProperties({ id, port, logDir: path.join(dir, 'logs'), zookeeperConnect, brokerCount, extra: opts.properties });
      await writeFile(config, props);
      return makeNode({
        id,
        port,
        logFile: path.join(dir, 'kafka.log'),
        spawn: (logFile) =>
          spawnJava({
            libs,
            logFile,
            jvmArgs: ['-Xmx512m', '-Djava.awt.headless=true', ...jvmLogArgs],
            mainClass: 'kafka.Kafka',
            args: [config],
          }),
        ready: async () => {
          const meta = await probeMetadata('127.0.0.1', port).catch(() => null);
          return meta !== null && meta.brokerIds.includes(id);
        },
        // After a SIGKILL, /brokers/ids/<id> lives until the old ZooKeeper session expires and the new JVM may exit
        // with "node already exists"; a starved JVM may lose its session while starting. Both pass with a retry.
        retryWhenLogSays: /NodeExists|already exists|SessionExpired/i,
        timeoutMs,
      });
    }),
  );

  const all = [...kafka, ...zookeeper];
  const stop = async (): Promise<void> => {
    await Promise.all(kafka.map((n) => n.stop()));
    await Promise.all(zookeeper.map((n) => n.stop()));
  };
  let unhealthy = '';
  const waitHealthy = (ms = timeoutMs): Promise<void> =>
    waitUntil(ms, async () => {
      const live = kafka.filter((n) => n.running());
      const meta = live[0] ? await probeMetadata('127.0.0.1', live[0].port, 2000, true).catch(() => null) : null;
      const missing = brokerIds.filter((id) => !meta?.brokerIds.includes(id));
      const lagging = meta?.partitions.filter((p) => p.leader < 0 || p.isr.length < p.replicas.length) ?? [];
      unhealthy = meta
        ? `brokers missing [${missing.join(',')}], partitions without leader or full ISR: ${lagging.map((p) => `${p.topic}-${p.partition}`).join(', ')}`
        : 'no broker answers metadata';
      return meta !== null && missing.length === 0 && lagging.length === 0;
    }, () => unhealthy);
  try {
    await Promise.all(zookeeper.map((n) => n.start()));
    await Promise.all(kafka.map((n) => n.start()));
    await waitHealthy();
  } catch (err) {
    await Promise.all(all.map((n) => n.kill()));
    throw err;
  }

  return {
    brokers: kafkaPorts.map((p) => `127.0.0.1:${p}`).join(','),
    zookeeperConnect,
    kafka,
    zookeeper,
    waitHealthy,
    stop,
    kill: async () => {
      await Promise.all(all.map((n) => n.kill()));
    },
  };
}

type NodeSpec = {
  id: number;
  port: number;
  logFile: string;
  spawn(logFile: string): JavaChild;
  ready(): Promise<boolean>;
  retryWhenLogSays?: RegExp;
  timeoutMs: number;
};

function makeNode(spec: NodeSpec): ClusterNode & { start(): Promise<void> } {
  let jvm: JavaChild | null = null;
  const start = async (): Promise<void> => {
    const deadline = Date.now() + spec.timeoutMs;
    for (;;) {
      const logStart = await fileLength(spec.logFile);
      jvm = spec.spawn(spec.logFile);
      const current = jvm;
      try {
        await waitUntil(deadline - Date.now(), async () => {
          if (!current.running()) throw new Error(`exited during startup (code ${await current.exited})`);
          return spec.ready();
        }, () => 'not ready');
        return;
      } catch (err) {
        await current.kill();
        const newOutput = (await readFile(spec.logFile, 'utf8').catch(() => '')).slice(logStart);
        if (spec.retryWhenLogSays?.test(newOutput) && Date.now() < deadline) {
          await sleep(1000);
          continue;
        }
        throw new Error(`node ${spec.id} on 127.0.0.1:${spec.port}: ${(err as Error).message}\n${logTail(spec.logFile)}`);
      }
    }
  };
  return {
    id: spec.id,
    port: spec.port,
    logFile: spec.logFile,
    get pid() {
      return jvm?.pid ?? -1;
    },
    running: () => jvm?.running() ?? false,
    start,
    stop: async () => {
      await jvm?.stop(15_000);
    },
    kill: async () => {
      await jvm?.kill();
    },
    restart: async () => {
      await jvm?.stop(15_000);
      await start();
    },
  };
}

async function waitUntil(timeoutMs: number, check: () => Promise<boolean>, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`not ready after ${timeoutMs}ms: ${describe()}`);
}

async function distinctPorts(count: number, taken = new Set<number>()): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!taken.has(port)) {
      taken.add(port);
      ports.push(port);
    }
  }
  return ports;
}

async function fileLength(file: string): Promise<number> {
  return (await readFile(file, 'utf8').catch(() => '')).length;
}

function zooCfg(dataDir: string, clientPort: number, nodes: { id: number; peer: number; election: number }[]): string {
  return [
    `tickTime=${ZK_TICK_MS}`,
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${dataDir}`,
    `clientPort=${clientPort}`,
    'clientPortAddress=127.0.0.1',
    'admin.enableServer=false',
    '4lw.commands.whitelist=srvr,ruok,mntr',
    ...nodes.map((n) => `server.${n.id}=127.0.0.1:${n.peer}:${n.election}`),
    '',
  ].join('\n');
}

function brokerProperties(p: {
  id: number;
  port: number;
  logDir: string;
  zookeeperConnect: string;
  brokerCount: number;
  extra?: Record<string, string | number | boolean>;
}): string {
  const replicas = Math.min(2, p.brokerCount);
  const props: Record<string, string | number | boolean> = {
    'broker.id': p.id,
    'zookeeper.connect': p.zookeeperConnect,
    'zookeeper.session.timeout.ms': ZK_SESSION_TIMEOUT_MS,
    listeners: `PLAINTEXT://127.0.0.1:${p.port}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${p.port}`,
    'log.dirs': p.logDir,
    'num.partitions': 1,
    'default.replication.factor': replicas,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': replicas,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': false,
    ...p.extra,
  };
  return Object.entries(props)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')
    .concat('\n');
}
