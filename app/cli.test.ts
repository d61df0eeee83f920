import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createFreshDatabase, TEST_DRIVERS } from '../test/db.ts';
import { startWeftProcess, type WeftProcess } from '../test/processes.ts';
import { runCliCaptured } from '../test/cli.ts';

const children: WeftProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) await child.kill();
});

type Started = WeftProcess;

async function start(env: Record<string, string>): Promise<Started> {
  const started = await startWeftProcess(env);
  children.push(started);
  return started;
}

async function stop(s: Started): Promise<number | null> {
  return s.stop();
}

const cli = runCliCaptured;

describe('weft start', () => {
  it('bootstraps on first start, printing keys once, and prints none on the second', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-start-'));
    const first = await start({ WEFT_DATA_DIR: dataDir });
    const keys = [...first.stdout().matchAll(/\b(wk_(?:test|live)_[A-Za-z0-9_-]{43})\b/g)].map(
      (m) => m[1],
    );
    expect(new Set(keys).size).toBe(2);
    expect(first.stdout()).toContain(`Data           ${path.join(dataDir, 'data')}`);
    const testKey = keys.find((k) => k?.startsWith('wk_test_')) ?? '';
    const res = await fetch(`${first.url}/api/v1/customers`, {
      headers: { 'x-fastn-api-key': testKey },
    });
    expect(res.status).toBe(200);
    // Logs never carry the keys (only the one-time banner does).
    expect(first.stderr()).not.toContain(testKey);
    // The owner signs in to the web app through the banner's one-time link.
    const link = /(http\S+\/accept-invite#token=\S+)/.exec(first.stdout())?.[1] ?? '';
    const json = { 'content-type': 'application/json' };
    const accepted = await fetch(`${first.url}/api/v1/auth/accept-invite`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        token: new URL(link).hash.replace('#token=', ''),
        password: 'the owner password',
      }),
    });
    expect(accepted.status, link).toBe(200);
    const signedIn = await fetch(`${first.url}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: 'owner@localhost', password: 'the owner password' }),
    });
    expect(signedIn.status).toBe(200);
    const cookie = signedIn.headers.get('set-cookie')?.split(';')[0] ?? '';
    const me = await fetch(`${first.url}/api/v1/auth/session`, { headers: { cookie } });
    expect(await me.json()).toMatchObject({ role: 'owner', user: { email: 'owner@localhost' } });
    expect(await stop(first)).toBe(0);

    const second = await start({ WEFT_DATA_DIR: dataDir });
    expect(second.stdout()).not.toMatch(/wk_(test|live)_/);
    expect(second.stdout()).toContain('listening on');
    const again = await fetch(`${second.url}/api/v1/customers`, {
      headers: { 'x-fastn-api-key': testKey },
    });
    expect(again.status).toBe(200);

    // A second process on the same embedded database is refused, clearly.
    const clash = await cli(['migrate'], { WEFT_DATA_DIR: dataDir });
    expect(clash.code).toBe(1);
    expect(clash.err).toMatch(/another Weft process \(pid \d+\) is using the embedded database/);
    expect(await stop(second)).toBe(0);
  }, 60_000);

  it.skipIf(!TEST_DRIVERS.includes('pg'))(
    'on Postgres, two processes starting at once bootstrap exactly one organization',
    async () => {
      const fresh = await createFreshDatabase('pg');
      try {
        const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-start-'));
        const env = { DATABASE_URL: fresh.url ?? '', WEFT_DATA_DIR: dataDir };
        const both = await Promise.all([start(env), start(env)]);
        const banners = both.filter((s) => /wk_live_/.test(s.stdout()));
        expect(banners).toHaveLength(1);
        expect(both.filter((s) => s.stdout().includes('listening on'))).toHaveLength(1);
        // The banner names the database without its credentials.
        expect(banners[0]?.stdout()).toMatch(/Data\s+postgres:\/\/127\.0\.0\.1:5432\/weft_test_/);
        for (const s of both) expect(await stop(s)).toBe(0);
      } finally {
        await fresh.drop();
      }
    },
    60_000,
  );

  it('refuses bad configuration with a clear message and exit code 2', async () => {
    const result = await cli(['start'], { PORT: 'abc', LOG_LEVEL: 'chatty' });
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/invalid configuration/);
    expect(result.err).toMatch(/PORT: PORT must be a number \(got "abc"\)/);
    expect(result.err).toMatch(/LOG_LEVEL/);
  });
});

describe('weft commands beside a running server on the embedded database', () => {
  it('say the server holds it, and how `weft mcp` goes through the server instead', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-locked-'));
    // A live process holding the lock, as `weft start` does.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
      stdio: 'ignore',
    });
    try {
      await writeFile(path.join(dataDir, 'weft.pid'), String(holder.pid));
      for (const args of [['keys', 'list'], ['mcp']]) {
        const result = await cli(args, { WEFT_DATA_DIR: dataDir });
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.err).toMatch(
          new RegExp(`another Weft process \\(pid ${holder.pid}\\) is using the embedded database`),
        );
        expect(result.err).toMatch(/cannot run while the server is up/);
        expect(result.err).toMatch(/for `weft mcp`, set WEFT_URL and WEFT_API_KEY/);
      }
    } finally {
      holder.kill();
    }
  });
});

describe('weft org and keys commands', () => {
  it('creates an org with its own keys, and creates, lists and revokes keys', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-cli-'));
    const env = { WEFT_DATA_DIR: dataDir };
    expect((await cli(['migrate'], env)).out).toMatch(/database is current/);
    expect((await cli(['keys', 'list'], env)).err).toMatch(/no organization yet/);

    const org = await cli(
      ['org', 'create', 'Globex', '--owner-email', 'hank@globex.test', '--json'],
      env,
    );
    expect(org.code).toBe(0);
    const created = JSON.parse(org.out) as {
      organization: { id: string; name: string };
      keys: { kind: string; key: string }[];
    };
    expect(created.organization.name).toBe('Globex');
    expect(created.keys.map((k) => k.kind).sort()).toEqual(['live', 'test']);
    const orgArgs = ['--org', created.organization.id];

    const made = await cli(
      ['keys', 'create', '--kind', 'live', '--name', 'deploy', ...orgArgs, '--json'],
      env,
    );
    const key = JSON.parse(made.out) as { id: string; key: string };
    expect(key.key).toMatch(/^wk_live_/);

    const listed = await cli(['keys', 'list', ...orgArgs], env);
    expect(listed.out).toMatch(/deploy/);
    expect(listed.out).not.toContain(key.key);
    expect(listed.out.split('\n').filter((l) => /wk_(test|live)_/.test(l))).toHaveLength(3);

    const revoked = await cli(['keys', 'revoke', key.id, ...orgArgs], env);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toMatch(/revoked live key/);
    expect((await cli(['keys', 'list', ...orgArgs], env)).out).not.toMatch(/deploy/);
    expect((await cli(['keys', 'list', '--all', ...orgArgs], env)).out).toMatch(/deploy/);

    const invited = await cli(
      ['people', 'invite', 'ops@globex.test', '--role', 'operator', ...orgArgs],
      env,
    );
    expect(invited.code, invited.err).toBe(0);
    expect(invited.out).toMatch(/Invited ops@globex\.test as operator/);
    expect(invited.out).toMatch(/http:\/\/localhost:\d+\/accept-invite#token=[\w-]+\.[\w-]{43}/);
    const people = await cli(['people', 'list', ...orgArgs, '--json'], env);
    expect(JSON.parse(people.out)).toEqual([
      expect.objectContaining({ email: 'hank@globex.test', role: 'owner', canSignIn: false }),
    ]);
    const link = await cli(['people', 'link', 'hank@globex.test', ...orgArgs], env);
    expect(link.out).toMatch(/choose a password for hank@globex\.test/);

    const wrongKind = await cli(['keys', 'create', '--kind', 'prod', ...orgArgs], env);
    expect(wrongKind.code).not.toBe(0);
    expect(wrongKind.err).toMatch(/must be test or live/);
    const unknownOrg = await cli(['keys', 'list', '--org', crypto.randomUUID()], env);
    expect(unknownOrg.code).toBe(1);
    expect(unknownOrg.err).toMatch(/no organization/);
  }, 60_000);
});

describe('weft connector import', () => {
  it('imports a spec file with a progress line per phase, then shows and applies a diff', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-cli-import-'));
    const env = { WEFT_DATA_DIR: dataDir };
    await cli(['org', 'create', 'Importers'], env);
    const spec = fileURLToPath(new URL('../evals/data/specs/petstore-v2.yaml', import.meta.url));
    const first = await cli(['connector', 'import', spec, '--slug', 'pets'], env);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/created connector 'pets': 20 actions/);
    for (const phase of ['read', 'parse', 'extract', 'save'])
      expect(first.err).toMatch(new RegExp(`\\d+\\.\\ds  ${phase}`));

    const again = await cli(['connector', 'import', spec, '--slug', 'pets', '--json'], env);
    expect(JSON.parse(again.out)).toMatchObject({ outcome: 'unchanged' });
    const fewer = await cli(
      [
        'connector',
        'import',
        spec,
        '--slug',
        'pets',
        '--actions',
        'getPetById,addPet',
        '--apply',
        '--remove-missing',
      ],
      env,
    );
    expect(fewer.code, fewer.err).toBe(0);
    expect(fewer.out).toMatch(/18 actions removed/);
    const missing = await cli(['connector', 'import', path.join(dataDir, 'nope.yaml')], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.yaml/);
  }, 60_000);
});
