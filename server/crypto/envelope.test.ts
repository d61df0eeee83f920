import { mkdtemp, readFile, stat, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import {
  createKeyring,
  DecryptError,
  generateMasterKey,
  keyIdOf,
  open,
  parseMasterKey,
  rewrap,
  seal,
  sealedKeyId,
} from './envelope.ts';
import { loadKeyring } from './master-key.ts';

const keyA = parseMasterKey(generateMasterKey());
const keyB = parseMasterKey(generateMasterKey());

describe('envelope encryption', () => {
  const keyring = createKeyring({ active: keyA });
  const aad = 'org:1|connection:2|field:token';

  it('round-trips and never contains the plaintext', () => {
    const sealed = seal({ keyring, plaintext: 'sk_live_very_secret', aad });
    expect(sealed).toMatch(/^wenc1\.[0-9a-f]{12}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('very_secret');
    expect(open({ keyring, sealed, aad })).toBe('sk_live_very_secret');
    // Fresh data key and IVs every time.
    expect(seal({ keyring, plaintext: 'sk_live_very_secret', aad })).not.toBe(sealed);
  });

  it('fails to open under another context (a ciphertext copied to another row or field)', () => {
    const sealed = seal({ keyring, plaintext: 'x', aad });
    expect(() => open({ keyring, sealed, aad: 'org:1|connection:3|field:token' })).toThrow(
      DecryptError,
    );
    expect(() => open({ keyring, sealed, aad: 'org:2|connection:2|field:token' })).toThrow(
      DecryptError,
    );
  });

  it('detects tampering and garbage', () => {
    const sealed = seal({ keyring, plaintext: 'hello', aad });
    const parts = sealed.split('.');
    const payload = Buffer.from(parts[3] ?? '', 'base64url');
    payload[14] = (payload[14] ?? 0) ^ 1;
    const tampered = [parts[0], parts[1], parts[2], payload.toString('base64url')].join('.');
    expect(() => open({ keyring, sealed: tampered, aad })).toThrow(DecryptError);
    expect(() => open({ keyring, sealed: 'plaintext', aad })).toThrow(/not a sealed value/);
    expect(() => open({ keyring, sealed: 'wenc1.abc.AA.AA', aad })).toThrow(
      /unknown master key id/,
    );
  });

  it('rotates: new writes use the new key, old values still open, rewrap moves them over', () => {
    const before = Array.from({ length: 200 }, (_, i) => ({
      aad: `row:${i}`,
      sealed: seal({ keyring, plaintext: `secret-${i}`, aad: `row:${i}` }),
    }));
    const rotated = createKeyring({ active: keyB, previous: [keyA] });
    expect(rotated.activeKid).toBe(keyIdOf(keyB));
    const rewrapped = before.map((b) => ({
      aad: b.aad,
      sealed: rewrap({ keyring: rotated, sealed: b.sealed, aad: b.aad }),
    }));
    let failures = 0;
    rewrapped.forEach((r, i) => {
      expect(sealedKeyId(r.sealed)).toBe(rotated.activeKid);
      if (
        open({ keyring: createKeyring({ active: keyB }), sealed: r.sealed, aad: r.aad }) !==
        `secret-${i}`
      )
        failures++;
    });
    expect(failures).toBe(0);
    // Without the old key, an un-rewrapped value cannot be read.
    expect(() =>
      open({
        keyring: createKeyring({ active: keyB }),
        sealed: before[0]?.sealed ?? '',
        aad: 'row:0',
      }),
    ).toThrow(DecryptError);
  });

  it('accepts master keys as hex or base64 and refuses anything else', () => {
    expect(parseMasterKey(keyA.toString('hex'))).toEqual(keyA);
    expect(parseMasterKey(keyA.toString('base64'))).toEqual(keyA);
    expect(() => parseMasterKey('too-short')).toThrow(/32 bytes/);
    expect(() => parseMasterKey('x'.repeat(64))).toThrow(/32 bytes/);
  });
});

describe('master key loading', () => {
  it('creates a 0600 key file on first start and reuses it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-key-'));
    const config = loadConfig({ WEFT_DATA_DIR: dir });
    const first = await loadKeyring(config);
    expect(first.source).toBe('file-created');
    const file = path.join(dir, 'master.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = await loadKeyring(config);
    expect(second.source).toBe('file');
    expect(second.keyring.activeKid).toBe(first.keyring.activeKid);
    expect(parseMasterKey(await readFile(file, 'utf8'))).toHaveLength(32);
  });

  it('refuses a key file that others can read', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-key-'));
    const config = loadConfig({ WEFT_DATA_DIR: dir });
    await loadKeyring(config);
    await chmod(path.join(dir, 'master.key'), 0o644);
    await expect(loadKeyring(config)).rejects.toThrow(/readable by other users/);
  });

  it('prefers WEFT_MASTER_KEY and explains a bad one', async () => {
    const key = generateMasterKey();
    const loaded = await loadKeyring(
      loadConfig({ WEFT_MASTER_KEY: key, WEFT_DATA_DIR: '/nonexistent' }),
    );
    expect(loaded).toMatchObject({ source: 'env' });
    expect(loaded.keyring.activeKid).toBe(keyIdOf(parseMasterKey(key)));
    await expect(loadKeyring(loadConfig({ WEFT_MASTER_KEY: 'nope' }))).rejects.toThrow(
      /^WEFT_MASTER_KEY: a master key must be 32 bytes/,
    );
  });
});
