import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatImportScore, scoreImports } from './import-score.ts';

// Quality floors of spec import over the eval set: a change that makes imports worse on real
// specs fails here, apart from the behavioural tests in server/import.
describe('spec import against the gold labels', () => {
  it(
    'baseUrl, primary auth, operation count and events match the gold labels',
    { timeout: 300_000 },
    async () => {
      const dir = path.join(import.meta.dirname, 'data');
      const score = await scoreImports({
        goldDir: path.join(dir, 'gold'),
        specsDir: path.join(dir, 'specs'),
      });
      process.stdout.write(`\n${formatImportScore(score)}\n`);
      const { overall } = score;
      expect(overall.specs).toBeGreaterThan(0);
      expect(score.specs.filter((s) => s.error !== undefined)).toEqual([]);
      expect(overall.baseUrl).toBeGreaterThanOrEqual(0.9);
      expect(overall.auth).toBeGreaterThanOrEqual(0.8);
      expect(overall.operations).toBeGreaterThanOrEqual(0.95);
      expect(overall.events).toBeGreaterThanOrEqual(0.9);
      expect(overall.entities).toBeGreaterThanOrEqual(0.6);
    },
  );
});
