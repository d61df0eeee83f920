import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const MASTER_KEY = 'a'.repeat(64);

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string> | string[];
  volumes?: (string | { source?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  deploy?: { replicas?: number | string };
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: unknown[];
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// Merge keys (`<<: *anchor`) are how the file shares its environment; Compose supports them.
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;

function service(name: string): Service {
  const s = compose.services[name];
  if (s === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

function environment(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(
    env.map((entry) => {
      const i = entry.indexOf('=');
      return i === -1 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
    }),
  );
}

function commandWords(s: Service): string[] {
  return typeof s.command === 'string' ? s.command.split(/\s+/) : (s.command ?? []);
}

describe('docker-compose.yml', () => {
  it('has the postgres, api and worker services', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'api', 'worker']),
    );
  });

  it('runs Postgres 16 on a named volume with a pg_isready health check', () => {
    const pg = service('postgres');
    expect(pg.image).toBe('postgres:16');
    const named = (pg.volumes ?? [])
      .map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source))
      .filter((source): source is string => source !== undefined && !/^[./~]/.test(source));
    expect(named.length).toBeGreaterThan(0);
    for (const volume of named) expect(compose.volumes).toHaveProperty(volume);
    expect(JSON.stringify(pg.healthcheck?.test)).toContain('pg_isready');
    expect(environment(pg)).toMatchObject({
      POSTGRES_USER: 'weft',
      POSTGRES_PASSWORD: 'weft',
      POSTGRES_DB: 'weft',
    });
  });

  it.each(['api', 'worker'])(
    'gives %s the postgres DATABASE_URL and a required master key',
    (name) => {
      const env = environment(service(name));
      const url = new URL(env['DATABASE_URL'] ?? '');
      expect(url.protocol).toBe('postgres:');
      expect(url.hostname).toBe('postgres');
      expect(url.pathname).toBe('/weft');
      // `${VAR:?message}`: Compose refuses to start without it, so replicas cannot drift apart.
      expect(env['WEFT_MASTER_KEY']).toMatch(/^\$\{WEFT_MASTER_KEY:\?.+\}$/);
    },
  );

  it('runs the api as `weft start --no-workers`, listening on all interfaces', () => {
    const api = service('api');
    expect(commandWords(api)).toEqual(expect.arrayContaining(['start', '--no-workers']));
    expect(api.build).toBeDefined();
    expect(environment(api)).toMatchObject({ HOST: '0.0.0.0', PORT: '8787' });
  });

  it('runs workers as `weft worker` from the same image, with replicas', () => {
    const worker = service('worker');
    expect(commandWords(worker)).toEqual(['worker']);
    expect(worker.image).toBe(service('api').image);
    expect(worker.deploy?.replicas).toBeDefined();
    // The image's HTTP health check does not apply to a process that serves no HTTP.
    expect(worker.healthcheck?.disable).toBe(true);
  });

  it.each(['api', 'worker'])('starts %s only once postgres is healthy', (name) => {
    const dependsOn = service(name).depends_on;
    expect(Array.isArray(dependsOn)).toBe(false);
    expect((dependsOn as Record<string, { condition?: string }>)['postgres']?.condition).toBe(
      'service_healthy',
    );
  });
});

/** The Compose CLI on this machine, if any: standalone `docker-compose` or the `docker compose` plugin. */
function findCompose(): string[] | undefined {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    const probe = spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], { stdio: 'ignore' });
    if (probe.status === 0) return cmd;
  }
  return undefined;
}
const composeCli = findCompose();

let scratchDir: string | undefined;
afterAll(() => {
  if (scratchDir !== undefined) rmSync(scratchDir, { recursive: true, force: true });
});

function runCompose(args: string[], extraEnv: Record<string, string>) {
  const { WEFT_MASTER_KEY: _unset, ...inherited } = process.env;
  // An empty env file: a developer's .env must not change the outcome.
  scratchDir ??= mkdtempSync(path.join(os.tmpdir(), 'weft-compose-'));
  const envFile = path.join(scratchDir, 'empty.env');
  writeFileSync(envFile, '');
  return spawnSync(
    composeCli![0]!,
    [...composeCli!.slice(1), '--env-file', envFile, '-f', COMPOSE_FILE, ...args],
    { cwd: ROOT, env: { ...inherited, ...extraEnv }, encoding: 'utf8' },
  );
}

describe('docker-compose config', () => {
  const skipped = composeCli === undefined;
  const via = skipped
    ? '(SKIPPED: neither docker-compose nor docker compose is installed; see .ci/install-compose.sh)'
    : `(${composeCli.join(' ')})`;

  it.skipIf(skipped)(`accepts the file when WEFT_MASTER_KEY is set ${via}`, () => {
    const result = runCompose(['config', '-q'], { WEFT_MASTER_KEY: MASTER_KEY });
    expect(result.stderr).not.toMatch(/error|invalid/i);
    expect(result.status).toBe(0);
  });

  it.skipIf(skipped)(`refuses the file without WEFT_MASTER_KEY, naming it ${via}`, () => {
    const result = runCompose(['config', '-q'], {});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('WEFT_MASTER_KEY');
  });

  it.skipIf(skipped)(`takes replica counts from the environment ${via}`, () => {
    const result = runCompose(['config'], {
      WEFT_MASTER_KEY: MASTER_KEY,
      WEFT_API_REPLICAS: '2',
      WEFT_WORKER_REPLICAS: '5',
    });
    expect(result.status).toBe(0);
    const resolved = parse(result.stdout) as ComposeFile;
    expect(Number(resolved.services['api']?.deploy?.replicas)).toBe(2);
    expect(Number(resolved.services['worker']?.deploy?.replicas)).toBe(5);
    expect(environment(resolved.services['worker']!)['WEFT_MASTER_KEY']).toBe(MASTER_KEY);
  });
});

/** Dockerfile instructions, continuation lines joined and comments dropped. */
function dockerfileInstructions(): { op: string; args: string }[] {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^(\S+)\s+(.*)$/.exec(line);
      return { op: (match?.[1] ?? line).toUpperCase(), args: match?.[2]?.trim() ?? '' };
    });
}

/** The exec-form (JSON) or shell-form words of an instruction's arguments. */
function words(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
}

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions();
  const last = (op: string) => instructions.filter((i) => i.op === op).at(-1)?.args;

  it('builds on node:24-slim with production dependencies only', () => {
    expect(instructions[0]).toEqual({ op: 'FROM', args: 'node:24-slim' });
    const run = instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(run.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
  });

  it('starts bin/weft.ts: ENTRYPOINT node bin/weft.ts, CMD start', () => {
    const entrypoint = words(last('ENTRYPOINT') ?? '');
    const cmd = words(last('CMD') ?? '');
    expect(entrypoint).toEqual(['node', 'bin/weft.ts']);
    expect(cmd).toEqual(['start']);
  });

  it('does not run as root', () => {
    const user = last('USER');
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
    // USER must come before the process starts, i.e. after every RUN that needs root.
    const userAt = instructions.findLastIndex((i) => i.op === 'USER');
    const lastRunAt = instructions.findLastIndex((i) => i.op === 'RUN');
    expect(userAt).toBeGreaterThan(lastRunAt);
  });

  it('listens on 0.0.0.0:8787', () => {
    const env = instructions
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(env).toMatch(/\bPORT=8787\b/);
    expect(last('EXPOSE')).toBe('8787');
  });

  it('has a HEALTHCHECK whose probe passes on a healthy /health and fails otherwise', async () => {
    const check = last('HEALTHCHECK') ?? '';
    const cmd = words(check.slice(check.indexOf('CMD') + 'CMD'.length).trim());
    expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
    const script = cmd[2]!;
    expect(script).toContain('/health');

    let status = 200;
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(req.url === '/health' ? status : 404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as AddressInfo).port);
    const probe = () =>
      new Promise<number>((resolve) => {
        execFile(
          process.execPath,
          ['-e', script],
          { env: { PORT: port }, timeout: 10_000 },
          (error) => resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : -1),
        );
      });
    try {
      expect(await probe()).toBe(0);
      status = 503;
      expect(await probe()).toBe(1);
      expect(paths).toEqual(['/health', '/health']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('.dockerignore', () => {
  const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps local dependencies and data out of the image', () => {
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.weft', '.git']));
  });

  it('keeps what the app needs at run time (sources, migrations)', () => {
    for (const needed of [
      'server',
      'bin',
      'package.json',
      'package-lock.json',
      '*.sql',
      '**/*.sql',
    ]) {
      expect(ignored).not.toContain(needed);
    }
  });
});
