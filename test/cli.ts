// Runs the weft CLI in-process with its output captured: what the CLI tests assert on.
import { runCli } from '../app/cli.ts';

export async function runCliCaptured(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    env: { LOG_LEVEL: 'warn', ...env },
  });
  return { code, out, err };
}
