// A case that times out part way still reports the tokens its model turns spent: the real
// `openai` client against the fake OpenAI server, two answered turns and then one that never
// comes, the case's timeout ending it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../test/fakes/llm/openai-server.ts';
import type { FakeLlmServer } from '../test/fakes/llm/script.ts';
import { runSuite } from './run.ts';

describe('the tokens of a case that did not finish', () => {
  let fake: FakeLlmServer;
  beforeAll(async () => {
    fake = await startFakeOpenAi({
      turns: [
        { text: 'Nothing to add: the step can finish.', usage: { input: 120, output: 12 } },
        { text: 'Nothing to add: the step can finish.', usage: { input: 130, output: 13 } },
        { hang: true },
      ],
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('are counted from the turns it spent', { timeout: 120_000 }, async () => {
    const report = await runSuite({
      cases: ['petstore-v3'],
      runner: 'agent',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      concurrency: 1,
      timeoutMs: 10_000,
      env: { WEFT_LLM_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-fake-eval' },
    });
    const [result] = report.cases;
    expect(result?.status, result?.error).toBe('timeout');
    expect(fake.requests.length).toBe(3);
    expect(result?.metrics).toMatchObject({ inputTokens: 250, outputTokens: 25 });
    expect(result?.metrics?.costUsd).toBeGreaterThan(0);
  });
});
