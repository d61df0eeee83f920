import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../server/crypto/envelope.ts';
import { createLogger } from '../server/logger.ts';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../test/db.ts';
import { createServices, publicBaseUrlOf } from './services.ts';

describe('publicBaseUrlOf', () => {
  const config = { publicUrl: undefined, port: 3000 };

  it('prefers the configured public URL, without a trailing slash', () => {
    expect(publicBaseUrlOf({ ...config, publicUrl: 'https://weft.example.com/' }, undefined)).toBe(
      'https://weft.example.com',
    );
  });

  it('spells loopback as localhost and brackets other IPv6 hosts', () => {
    expect(publicBaseUrlOf(config, { address: '127.0.0.1', family: 'IPv4', port: 41234 })).toBe(
      'http://localhost:41234',
    );
    expect(publicBaseUrlOf(config, { address: '::1', family: 'IPv6', port: 8080 })).toBe(
      'http://localhost:8080',
    );
    expect(publicBaseUrlOf(config, { address: 'fd00::5', family: 'IPv6', port: 8080 })).toBe(
      'http://[fd00::5]:8080',
    );
    expect(publicBaseUrlOf(config, { address: '10.0.0.7', family: 'IPv4', port: 80 })).toBe(
      'http://10.0.0.7:80',
    );
  });

  it('falls back to the configured port before the server listens', () => {
    expect(publicBaseUrlOf(config, undefined)).toBe('http://localhost:3000');
  });
});

describe.each(TEST_DRIVERS)('createServices on %s', (driver) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.close();
  });

  it('opens the workflow engine once, on first use, and hook URLs follow the listening address', async () => {
    database = await createTestDatabase(driver);
    const services = await createServices({
      config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', WEFT_SANDBOX_PROCESSES: '1' }),
      logger: createLogger('silent'),
      db: database.db,
      keyring: createKeyring({ active: parseMasterKey(generateMasterKey()) }),
    });
    try {
      const [a, b] = await Promise.all([services.workflows(), services.workflows()]);
      expect(a).toBe(b);
      expect(await services.engine()).toBe(await services.engine());
      expect(await services.events()).toBe(await services.events());

      services.listeningAt({ address: '127.0.0.1', family: 'IPv4', port: 5555 });
      expect(services.triggers.hookUrl('t1')).toBe('http://localhost:5555/hooks/t1');
      const tools = services.toolServices(
        // Only the identity matters here: the tool context carries it unchanged.
        { orgId: 'org' } as never,
      );
      expect(tools.db).toBe(database.db);
      expect(tools.runtime).toBe(services.runtime);
      expect(tools.hookUrl('t2')).toBe('http://localhost:5555/hooks/t2');
    } finally {
      await services.close();
    }
  });
});
