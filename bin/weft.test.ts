import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// MCP clients start `weft` with whatever `node` is first on their PATH, often an older system
// Node that cannot run TypeScript. These tests put such a Node first and start the launcher the
// way a client does: by its path, through its shebang.
const ROOT = path.resolve(import.meta.dirname, '..');
const LAUNCHER = path.join(ROOT, 'bin', 'weft.js');

function olderNodeDir(): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter);
  for (const dir of dirs) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const candidate = path.join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      const major = Number(/^v(\d+)/.exec(version)?.[1]);
      if (major < 22) return dir;
    } catch {
      // not here
    }
  }
  for (const dir of ['/usr/bin', '/usr/local/bin', '/bin']) {
    try {
      const version = execFileSync(path.join(dir, 'node'), ['--version'], { encoding: 'utf8' });
      if (Number(/^v(\d+)/.exec(version)?.[1]) < 22) return dir;
    } catch {
      // not here
    }
  }
  return undefined;
}

const OLD = olderNodeDir();
// The older Node first, then only system folders: nothing of the project on PATH.
const PATH_OLD_FIRST = OLD === undefined ? '' : [OLD, '/usr/bin', '/bin'].join(path.delimiter);

/** The stdio server entry of the README's Claude Desktop / Cursor config, as written there. */
function readmeStdioConfig(): { command: string; args: string[] } {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```json\n(\{\n {2}"mcpServers"[\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('no mcpServers config block in the README');
  const config = JSON.parse(block) as {
    mcpServers: { weft: { command: string; args: string[] } };
  };
  const { command, args } = config.mcpServers.weft;
  return {
    command: command.replace('/path/to/weft', ROOT),
    args: args.map((a) => a.replace('/path/to/weft', ROOT)),
  };
}

describe.skipIf(OLD === undefined)('bin/weft.js started by an older Node', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-launcher-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the older Node really cannot run the TypeScript entry itself', () => {
    const direct = spawnSync(path.join(OLD ?? '', 'node'), [path.join(ROOT, 'bin', 'weft.ts')], {
      encoding: 'utf8',
      env: { PATH: PATH_OLD_FIRST },
    });
    expect(direct.status).not.toBe(0);
  });

  it('weft --help', () => {
    const run = spawnSync(LAUNCHER, ['--help'], {
      encoding: 'utf8',
      env: { PATH: PATH_OLD_FIRST },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: weft/);
    expect(run.stdout).toContain('mcp');
  });

  it('passes the exit code through', () => {
    const run = spawnSync(LAUNCHER, ['no-such-command'], {
      encoding: 'utf8',
      env: { PATH: PATH_OLD_FIRST },
    });
    expect(run.status).not.toBe(0);
    expect(run.status).not.toBeNull();
  });

  it('weft mcp, configured exactly as the README says, serves the tools over stdio', async () => {
    const { command, args } = readmeStdioConfig();
    expect(args).toContain('mcp');
    const client = new Client({ name: 'desktop-client', version: '1.0.0' });
    // The README's env points at a running server; without it the tools open the embedded
    // database, which needs nothing else running.
    await client.connect(
      new StdioClientTransport({
        command,
        args,
        env: { PATH: PATH_OLD_FIRST, WEFT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
        stderr: 'pipe',
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('create_customer');
      const created = await client.callTool({
        name: 'create_customer',
        arguments: { name: 'Old Node Co' },
      });
      expect(created.structuredContent).toMatchObject({ name: 'Old Node Co' });
    } finally {
      await client.close();
    }
  }, 60_000);
});
