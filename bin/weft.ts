#!/usr/bin/env node
import { runCli } from '../app/cli.ts';

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  onInputEnd: (fn) => process.stdin.once('end', fn),
  exit: (c) => process.exit(c),
});
// Long-running commands (start, worker) keep the event loop alive and exit on a signal.
if (code !== 0) process.exit(code);
