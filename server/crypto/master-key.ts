import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { createKeyring, generateMasterKey, parseMasterKey, type Keyring } from './envelope.ts';

export interface LoadedKeyring {
  keyring: Keyring;
  source: 'env' | 'file-created' | 'file';
  file?: string;
}

/**
 * The master key comes from WEFT_MASTER_KEY, or else from `<dataDir>/master.key`, created with
 * mode 0600 on first start. A key file readable by others is refused rather than used.
 */
export async function loadKeyring(config: Config): Promise<LoadedKeyring> {
  const previous = config.previousMasterKeys.map((k, i) => {
    try {
      return parseMasterKey(k);
    } catch (error) {
      throw new Error(`WEFT_PREVIOUS_MASTER_KEYS entry ${i + 1}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  });
  if (config.masterKey !== undefined) {
    let active: Buffer;
    try {
      active = parseMasterKey(config.masterKey);
    } catch (error) {
      throw new Error(`WEFT_MASTER_KEY: ${(error as Error).message}`, { cause: error });
    }
    return { keyring: createKeyring({ active, previous }), source: 'env' };
  }
  const file = path.join(config.dataDir, 'master.key');
  let text: string | undefined;
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) {
      throw new Error(`${file} is readable by other users; run: chmod 600 ${file}`);
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    return {
      keyring: createKeyring({ active: parseMasterKey(text), previous }),
      source: 'file',
      file,
    };
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const created = generateMasterKey();
  // Written whole under a private name, then linked into place: a process starting at the same
  // moment sees either no key file or a complete one, never an empty file mid-write.
  const pending = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(pending, `${created}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await chmod(pending, 0o600);
    await link(pending, file);
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return {
      keyring: createKeyring({ active: parseMasterKey(await readFile(file, 'utf8')), previous }),
      source: 'file',
      file,
    };
  } finally {
    await unlink(pending);
  }
  return {
    keyring: createKeyring({ active: parseMasterKey(created), previous }),
    source: 'file-created',
    file,
  };
}
