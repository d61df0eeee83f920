// The model path is scored the same way: the same cases run once offline and once with the real
// `openai` SDK client against the fake OpenAI server (test/fakes/llm/), whose scripted model
// answers every turn without a tool call, so each step's deterministic logic completes what the
// model left and the build is the same (a fixer case too: the same faults seeded and repaired).
// The scores must be equal, and the model run must record the tokens and cost the fake server
// reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../test/fakes/llm/openai-server.ts';
import type { FakeLlmServer } from '../test/fakes/llm/script.ts';
import { runSuite } from './run.ts';

const CASES = ['freshdesk', 'freshdesk-faults'];

describe('a scripted model through the eval suite', () => {
  let fake: FakeLlmServer;
  beforeAll(async () => {
    fake = await startFakeOpenAi({
      turns: Array.from({ length: 400 }, () => () => ({
        text: 'Nothing to add: the step can finish.',
        usage: { input: 120, output: 12 },
      })),
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  it(
    'scores a model run exactly as the offline run, with its tokens and cost',
    { timeout: 300_000 },
    async () => {
      const offline = await runSuite({
        cases: CASES,
        runner: 'agent',
        provider: 'offline',
        concurrency: 1,
      });
      const model = await runSuite({
        cases: CASES,
        runner: 'agent',
        provider: 'openai',
        model: 'gpt-4.1-mini',
        concurrency: 1,
        env: { WEFT_LLM_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-fake-eval' },
      });
      expect(model.header).toMatchObject({
        provider: 'openai',
        model: 'gpt-4.1-mini',
        runner: 'agent',
      });
      expect(fake.requests.length).toBeGreaterThan(0);
      for (const id of CASES) {
        const a = offline.cases.find((c) => c.id === id);
        const b = model.cases.find((c) => c.id === id);
        expect(b?.status, `${id}: ${b?.error ?? ''}`).toBe('ok');
        expect(b?.scores).toEqual(a?.scores);
        expect(b?.seeded).toEqual(a?.seeded);
        if (a?.kind === 'fixer') expect(a.seeded?.length).toBeGreaterThan(0);
        expect(b?.metrics?.inputTokens).toBeGreaterThan(0);
        expect(b?.metrics?.costUsd).toBeGreaterThan(0);
        expect(a?.metrics?.inputTokens).toBe(0);
      }
      expect(model.overall.inputTokens).toBe(fake.requests.length * 120);
    },
  );
});
