import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has working defaults for a fresh machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 8787,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: path.resolve('.weft'),
      logLevel: 'info',
      masterKey: undefined,
      previousMasterKeys: [],
    });
  });

  it("caps a Setup Assistant session's model tokens, 500,000 unless set", () => {
    expect(loadConfig({}).llm.assistantMaxTokens).toBe(500_000);
    expect(loadConfig({ WEFT_ASSISTANT_MAX_TOKENS: '20000' }).llm.assistantMaxTokens).toBe(20_000);
    expect(() => loadConfig({ WEFT_ASSISTANT_MAX_TOKENS: 'lots' })).toThrow(
      /WEFT_ASSISTANT_MAX_TOKENS must be a whole number of tokens/,
    );
  });

  it('reads every setting', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/weft',
      WEFT_DATA_DIR: '/var/lib/weft',
      LOG_LEVEL: 'debug',
      WEFT_MASTER_KEY: 'k',
      WEFT_PREVIOUS_MASTER_KEYS: 'a, b',
      WEFT_RATE_LIMIT_PER_MINUTE: '60',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/weft',
      dataDir: '/var/lib/weft',
      logLevel: 'debug',
      masterKey: 'k',
      previousMasterKeys: ['a', 'b'],
      rateLimitPerMinute: 60,
    });
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', WEFT_MASTER_KEY: '  ' })).toMatchObject({
      databaseUrl: undefined,
      masterKey: undefined,
    });
  });

  it('reports every wrong value at once, naming the variable and what it got', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PORT: PORT must be a number \(got "eighty"\)/m);
    expect(problems).toMatch(
      /^LOG_LEVEL: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)/m,
    );
    expect(problems).toMatch(/^DATABASE_URL: DATABASE_URL must start with postgres:\/\//m);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT must be between 0 and 65535/);
  });

  it('reads the SSRF test allowlist as exact ip:port pairs, in tests only', () => {
    expect(loadConfig({}).ssrfTestAllowlist).toEqual([]);
    expect(
      loadConfig({ NODE_ENV: 'test', WEFT_SSRF_TEST_ALLOWLIST: ' 127.0.0.1:43123, [::1]:8080 ' })
        .ssrfTestAllowlist,
    ).toEqual(['127.0.0.1:43123', '[::1]:8080']);
    expect(loadConfig({ NODE_ENV: 'production', WEFT_SSRF_TEST_ALLOWLIST: ' ' })).toMatchObject({
      ssrfTestAllowlist: [],
    });

    for (const bad of ['localhost:80', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '::1:80']) {
      expect(() => loadConfig({ NODE_ENV: 'test', WEFT_SSRF_TEST_ALLOWLIST: bad })).toThrow(
        /WEFT_SSRF_TEST_ALLOWLIST must be comma-separated ip:port pairs/,
      );
    }
  });

  it('reads WEFT_EGRESS_ALLOW in every mode and names a bad entry', () => {
    expect(loadConfig({}).egressAllow).toEqual([]);
    for (const NODE_ENV of ['production', 'development', 'test']) {
      expect(
        loadConfig({
          NODE_ENV,
          WEFT_EGRESS_ALLOW: ' 10.0.0.0/8, fd00::/8 ,10.1.2.3, api.internal:8443, [fd00::1]:80 ',
        }).egressAllow,
      ).toEqual(['10.0.0.0/8', 'fd00::/8', '10.1.2.3', 'api.internal:8443', '[fd00::1]:80']);
    }
    let error: unknown;
    try {
      loadConfig({
        NODE_ENV: 'production',
        WEFT_EGRESS_ALLOW: '10.0.0.0/8, 10.0.0.0/40, intranet',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^WEFT_EGRESS_ALLOW: invalid WEFT_EGRESS_ALLOW entry "10\.0\.0\.0\/40": expected a CIDR range \(10\.0\.0\.0\/8, fd00::\/8\), one address \(10\.1\.2\.3\) or host:port .* \(got "10\.0\.0\.0\/8, 10\.0\.0\.0\/40, intranet"\)$/,
      ),
      expect.stringMatching(/^WEFT_EGRESS_ALLOW: invalid WEFT_EGRESS_ALLOW entry "intranet"/),
    ]);
  });

  it('refuses to start with an SSRF test allowlist outside tests', () => {
    for (const NODE_ENV of ['production', 'development']) {
      let error: unknown;
      try {
        loadConfig({ NODE_ENV, WEFT_SSRF_TEST_ALLOWLIST: '127.0.0.1:43123' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        `WEFT_SSRF_TEST_ALLOWLIST: refusing to start: WEFT_SSRF_TEST_ALLOWLIST is for tests only (NODE_ENV is ${NODE_ENV})`,
      ]);
    }
  });

  it('turns the OTLP endpoint into the traces URL, which a traces endpoint overrides', () => {
    expect(loadConfig({}).telemetry.tracesUrl).toBeUndefined();
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).telemetry.tracesUrl,
    ).toBe('http://collector:4318/v1/traces');
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/spans',
      }).telemetry.tracesUrl,
    ).toBe('https://traces.example/otlp/spans');
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/,
    );
  });
});
