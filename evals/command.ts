// `weft eval`: runs the suite, shows progress (a bar on a terminal, one line per case
// otherwise), writes the JSON and Markdown reports, prints the table, and with --gate compares
// the overall scores with evals/baseline.json (throwing on a drop, so the command exits 1).
import { formatMarkdown } from './report.ts';
import {
  baselineOf,
  brokenCases,
  checkGate,
  formatGate,
  readBaseline,
  writeBaseline,
} from './gate.ts';
import { runSuite, writeReport, type ProviderName, type RunnerChoice } from './run.ts';

export interface EvalCommandOptions {
  cases?: string[];
  provider?: ProviderName;
  model?: string;
  runner?: RunnerChoice;
  concurrency?: number;
  timeout?: number;
  gate?: boolean;
  updateBaseline?: boolean;
  json?: boolean;
}

function bar(done: number, total: number, id: string): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} ${id}`
    .padEnd(90)
    .slice(0, 90);
}

export async function evalCommand({
  options,
  env,
  out,
  err,
  tty,
}: {
  options: EvalCommandOptions;
  env: Readonly<Record<string, string | undefined>>;
  out: (text: string) => void;
  err: (text: string) => void;
  tty: boolean;
}): Promise<void> {
  const started = Date.now();
  const report = await runSuite({
    ...(options.cases !== undefined && { cases: options.cases }),
    ...(options.provider !== undefined && { provider: options.provider }),
    ...(options.model !== undefined && { model: options.model }),
    ...(options.runner !== undefined && { runner: options.runner }),
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(options.timeout !== undefined && { timeoutMs: options.timeout * 1000 }),
    env,
    onProgress: ({ done, total, id, status }) => {
      if (tty) err(bar(done, total, status === undefined ? `${id}…` : `${id} ${status}`));
      else if (status !== undefined)
        err(`${done}/${total} ${id} ${status} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    },
  });
  if (tty) err('\n');
  const markdown = formatMarkdown(report);
  const files = await writeReport({ report, markdown });
  out(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : markdown);
  err(`reports: ${files.json}, ${files.md}\n`);
  if (options.updateBaseline === true) {
    // A baseline without a case would let that case fail unnoticed from then on.
    const broken = brokenCases(report);
    if (broken.length > 0)
      throw new Error(
        `baseline not updated: ${broken.map((b) => `${b.id} (${b.status}: ${b.error.slice(0, 120)})`).join('; ')} did not finish; fix them and run again`,
      );
    await writeBaseline({ baseline: baselineOf({ report }) });
    err('baseline: evals/baseline.json updated\n');
    return;
  }
  if (options.gate === true) {
    const result = checkGate({ report, baseline: await readBaseline() });
    err(`${formatGate(result)}\n`);
    if (!result.ok)
      throw new Error(
        result.broken.length > 0
          ? 'eval gate failed: cases did not finish'
          : 'eval gate failed: scores dropped below evals/baseline.json',
      );
  }
}
