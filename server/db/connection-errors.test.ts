import { describe, expect, it } from 'vitest';
import { isConnectionError, throughOutage } from './database.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isConnectionError', () => {
  it('knows a lost or refused database connection', () => {
    for (const code of ['57P01', '57P02', '57P03', '08000', '08003', '08006', '08P01']) {
      expect(isConnectionError(withCode(code)), code).toBe(true);
    }
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE']) {
      expect(isConnectionError(withCode(code)), code).toBe(true);
    }
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated'))).toBe(true);
    expect(
      isConnectionError(
        new Error('Client has encountered a connection error and is not queryable'),
      ),
    ).toBe(true);
  });

  it('looks through causes and aggregated errors (a host with several addresses)', () => {
    expect(
      isConnectionError(new Error('reading due hints failed', { cause: withCode('57P01') })),
    ).toBe(true);
    expect(
      isConnectionError(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])),
    ).toBe(true);
  });

  it('leaves statement errors alone: those are not fixed by retrying later', () => {
    for (const code of ['23505', '23503', '42P01', '40001', '57014', '22P02']) {
      expect(isConnectionError(withCode(code)), code).toBe(false);
    }
    expect(isConnectionError(new Error('boom'))).toBe(false);
    expect(isConnectionError(null)).toBe(false);
    expect(isConnectionError('Connection terminated')).toBe(false);
  });
});

describe('throughOutage', () => {
  it('writes again while the database is starting up, then answers', async () => {
    let calls = 0;
    const value = await throughOutage(() => {
      calls++;
      return calls < 3
        ? Promise.reject(withCode('57P03', 'the database system is starting up'))
        : Promise.resolve('stored');
    });
    expect(value).toBe('stored');
    expect(calls).toBe(3);
  });

  it('does not repeat a write that failed for another reason', async () => {
    let calls = 0;
    await expect(
      throughOutage(() => {
        calls++;
        return Promise.reject(withCode('23505', 'duplicate key'));
      }),
    ).rejects.toThrow('duplicate key');
    expect(calls).toBe(1);
  });

  it('gives up once the outage outlasts the grace', async () => {
    let calls = 0;
    await expect(
      throughOutage(() => {
        calls++;
        return Promise.reject(withCode('57P01', 'terminating connection'));
      }, 600),
    ).rejects.toThrow('terminating connection');
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThan(5);
  });
});
