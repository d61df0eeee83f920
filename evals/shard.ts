// One shard of a suite run, in a child process of evals/run.ts: reads the suite options (with
// its case ids) as JSON on stdin, runs those cases here, and writes one `{"result": …}` line per
// case on stdout as each finishes, so the parent can show progress and keep what finished if
// this process dies.
import { loadCases } from './cases.ts';
import { chooseRunner, runCasesHere, type SuiteOptions } from './run.ts';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const options = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SuiteOptions & {
  cases: string[];
};
const { cases } = await loadCases({
  ...(options.casesDir !== undefined && { dir: options.casesDir }),
  filter: options.cases,
});
const wanted = new Set(options.cases);
await runCasesHere({
  cases: cases.filter((c) => wanted.has(c.id)),
  runner: chooseRunner(options.runner ?? 'auto'),
  options,
  onResult: (result) => {
    process.stdout.write(`${JSON.stringify({ result })}\n`);
  },
});
