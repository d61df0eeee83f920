/**
 * `node scripts/eval-scripted-model.ts [--cases a,b] [--concurrency n]`: the eval suite run twice,
 * offline and through the real `openai` client against the fake OpenAI server on loopback
 * (test/fakes/llm/), whose scripted model answers every turn without a tool call, so each step's
 * own logic completes what the model left. Every case must score the same both ways (the model
 * path is scored as the offline one is) and the model run must record the tokens the fake
 * server reported. Prints a line per case and exits 1 on any difference.
 *
 * By default the Connector Agent's cases (spec, no-spec, fixer). Task cases need a model that
 * answers the Workflow Agent's plan and code, which a model that never calls a tool does not:
 * they fail here by design ("no valid answer"), and their model path is tested with scripted
 * plans (app/assistant-model.test.ts).
 */
import { parseArgs } from 'node:util';
import { startFakeOpenAi } from '../test/fakes/llm/openai-server.ts';
import { runSuite } from '../evals/run.ts';

const { values } = parseArgs({
  options: { cases: { type: 'string' }, concurrency: { type: 'string', default: '2' } },
});
const cases = values.cases === undefined ? ['spec', 'no-spec', 'fixer'] : values.cases.split(',');
/** The no-spec fixture listens on a new port each run: the port is not part of a score. */
const comparable = (value: unknown) =>
  JSON.stringify(value ?? null).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
const concurrency = Number(values.concurrency);
const INPUT_TOKENS = 120;

const fake = await startFakeOpenAi({
  turns: Array.from({ length: 200_000 }, () => () => ({
    text: 'Nothing to add: the step can finish.',
    usage: { input: INPUT_TOKENS, output: 12 },
  })),
});
try {
  const progress = (label: string) => (e: { done: number; total: number; status?: string }) => {
    if (e.status !== undefined) process.stderr.write(`\r${label} ${e.done}/${e.total}   `);
  };
  const offline = await runSuite({
    cases,
    runner: 'agent',
    provider: 'offline',
    concurrency,
    onProgress: progress('offline'),
  });
  process.stderr.write('\n');
  const model = await runSuite({
    cases,
    runner: 'agent',
    provider: 'openai',
    model: 'gpt-4.1-mini',
    concurrency,
    env: { WEFT_LLM_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-fake-eval' },
    onProgress: progress('scripted model'),
  });
  process.stderr.write('\n');
  let differ = 0;
  for (const a of offline.cases) {
    const b = model.cases.find((c) => c.id === a.id);
    const same =
      b !== undefined &&
      b.status === a.status &&
      comparable(b.scores) === comparable(a.scores) &&
      comparable(b.seeded) === comparable(a.seeded) &&
      comparable(b.task) === comparable(a.task);
    if (!same) differ += 1;
    process.stdout.write(
      `${same ? 'same   ' : 'DIFFERS'} ${a.id.padEnd(48)} ${a.kind.padEnd(8)} tokens in ${String(b?.metrics?.inputTokens ?? 0).padStart(7)}${b?.error === undefined ? '' : `  (${b.error})`}\n`,
    );
  }
  const tokens = model.overall.inputTokens;
  process.stdout.write(
    `\n${offline.cases.length - differ}/${offline.cases.length} cases scored the same; ${fake.requests.length} model turns, ${tokens} input tokens recorded (${fake.requests.length * INPUT_TOKENS} sent by the fake server); wall ${Math.round(offline.header.wallMs / 1000)} s offline, ${Math.round(model.header.wallMs / 1000)} s with the model\n`,
  );
  if (differ > 0 || tokens !== fake.requests.length * INPUT_TOKENS) process.exitCode = 1;
} finally {
  await fake.close();
}
