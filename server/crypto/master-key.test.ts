import type * as FsPromises from 'node:fs/promises';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Config } from '../config.ts';
import { loadKeyring } from './master-key.ts';

// A slow disk: writeFile creates the file at once and fills it a moment later, as a real write
// can look to another process.
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>();
  const writeFile: typeof fs.writeFile = async (file, data, options) => {
    await fs.writeFile(file, '', options);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await fs.writeFile(file, data);
  };
  return { ...fs, default: { ...fs, writeFile }, writeFile };
});

function configFor(dataDir: string): Config {
  return { dataDir, masterKey: undefined, previousMasterKeys: [] } as unknown as Config;
}

describe('master key file', () => {
  it('processes starting at once on a fresh data dir all get the one key, whole', async () => {
    const dataDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'weft-key-')), 'data');
    const loaded = await Promise.all(
      Array.from({ length: 20 }, () => loadKeyring(configFor(dataDir))),
    );
    expect(loaded.filter((l) => l.source === 'file-created')).toHaveLength(1);
    const kids = new Set(loaded.map((l) => l.keyring.activeKid));
    expect(kids.size).toBe(1);
    expect(await readdir(dataDir)).toEqual(['master.key']);
    expect((await stat(path.join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
  });

  it('a later start reads the key the first one wrote', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-key-'));
    const first = await loadKeyring(configFor(dataDir));
    const second = await loadKeyring(configFor(dataDir));
    expect(first.source).toBe('file-created');
    expect(second.source).toBe('file');
    expect(second.keyring.activeKid).toBe(first.keyring.activeKid);
  });
});
