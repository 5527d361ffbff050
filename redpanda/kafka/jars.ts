import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type KafkaFlavor = 'kraft' | 'zk';

export const kafkaToolsDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(kafkaToolsDir, '../..');

const pomFile: Record<KafkaFlavor, string> = { kraft: 'pom.xml', zk: 'pom-zk.xml' };

async function readPom(flavor: KafkaFlavor): Promise<{ pomPath: string; version: string; hash: string }> {
  const pomPath = path.join(kafkaToolsDir, pomFile[flavor]);
  const text = await readFile(pomPath, 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(text)?.[1]?.trim();
  if (!version) throw new Error(`${pomPath}: no <kafka.version> property`);
  // The marker stores the pom's hash so that editing dependencies (not just the version) refetches.
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return { pomPath, version, hash };
}

export async function kafkaVersion(flavor: KafkaFlavor): Promise<string> {
  return (await readPom(flavor)).version;
}

/** Directory holding the jars; run Java with `-cp '<dir>/*'`. Downloads them on first use. */
export async function ensureKafkaJars(flavor: KafkaFlavor): Promise<string> {
  const { pomPath, version, hash } = await readPom(flavor);
  const home = path.join(repoRoot, '.data', 'kafka', `${flavor}-${version}`);
  const libs = path.join(home, 'libs');
  const marker = path.join(home, '.jars-complete');
  if (existsSync(libs) && (await readFile(marker, 'utf8').catch(() => '')) === hash) return libs;

  await mkdir(home, { recursive: true });
  // Copy into a private dir and rename, so concurrent callers never see a half-filled libs/.
  const staging = path.join(home, `libs.tmp-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  const started = Date.now();
  const label = `kafka jars (${flavor} ${version})`;
  const args = ['-B', '-f', pomPath, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`];

  const offline = await runMaven(['-o', ...args], null);
  if (offline.code !== 0) {
    process.stderr.write(`${label}: fetching from Maven Central into ${path.relative(repoRoot, libs)}\n`);
    const online = await runMaven(args, new DownloadProgress(label));
    if (online.code !== 0) {
      await rm(staging, { recursive: true, force: true });
      throw new Error(`${label}: mvn exited with ${online.code}\n${online.tail.join('\n')}`);
    }
  }

  if ((await readFile(marker, 'utf8').catch(() => '')) === hash && existsSync(libs)) {
    await rm(staging, { recursive: true, force: true }); // another process won the race
  } else {
    await rm(libs, { recursive: true, force: true });
    await rename(staging, libs);
    // JVM class archives (class-archive.ts) describe the jars they were made from.
    for (const name of await readdir(home)) {
      if (name.endsWith('.jsa')) await rm(path.join(home, name), { force: true });
    }
    await writeFile(marker, hash);
  }
  process.stderr.write(`${label}: ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return libs;
}

type MavenResult = { code: number; tail: string[] };

function runMaven(args: string[], progress: DownloadProgress | null): Promise<MavenResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { cwd: kafkaToolsDir, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > 60) tail.shift();
      progress?.line(line);
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.on('error', (err) => reject(new Error(`cannot run mvn (is Maven installed?): ${err.message}`)));
    child.on('close', (code) => {
      progress?.done();
      resolve({ code: code ?? 1, tail });
    });
  });
}

/** Turns Maven's "Downloaded from central: URL (size ...)" lines into one line per jar (one status line on a TTY). */
class DownloadProgress {
  private readonly label: string;
  private readonly tty = Boolean(process.stderr.isTTY);
  private poms = 0;
  private jars = 0;

  constructor(label: string) {
    this.label = label;
  }

  line(raw: string): void {
    const m = /Downloaded from [^:]+: (\S+) \(([^)]*?)(?: at [^)]*)?\)/.exec(raw.replace(/\x1b\[[0-9;]*m/g, ''));
    if (!m) return;
    const file = m[1]!.slice(m[1]!.lastIndexOf('/') + 1);
    if (file.endsWith('.jar')) this.jars++;
    else this.poms++;
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${this.label}: ${this.poms} poms, ${this.jars} jars  ${file} (${m[2]})`);
    } else if (file.endsWith('.jar')) {
      process.stderr.write(`  [${this.jars}] ${file} (${m[2]})\n`);
    } else if (this.poms % 25 === 0) {
      process.stderr.write(`  resolving: ${this.poms} poms\n`);
    }
  }

  done(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${this.label}: downloaded ${this.poms} poms, ${this.jars} jars\n`);
  }
}
