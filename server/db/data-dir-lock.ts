import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Embedded Postgres is single-process: a second process on the same data directory would
 * corrupt it. A pid file refuses that with a clear message; a stale one (dead pid) is taken over.
 */
export async function acquireDataDirLock(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, 'weft.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return async () => {
        await unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        // Usually a running `weft start`, met by a CLI command or `weft mcp` opened beside it:
        // say how to go through that server rather than only how to stop it.
        throw new Error(
          `another Weft process (pid ${pid}) is using the embedded database in ${dataDir}, ` +
            'and only one process can open it: commands on the embedded database cannot run ' +
            'while the server is up. Stop that process first; for `weft mcp`, set WEFT_URL and ' +
            'WEFT_API_KEY instead, and it relays to the running server. To run several ' +
            'processes, set DATABASE_URL to one Postgres',
        );
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}
