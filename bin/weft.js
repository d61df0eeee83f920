#!/usr/bin/env node
// The `weft` command. Plain JavaScript on purpose: whatever `node` an MCP client or a shell
// finds first on PATH (often an older system Node that cannot run TypeScript) can run this
// file, which then starts Weft on the project's own Node (the `node` devDependency, 24) —
// or on the current Node when it strips types itself (22.18 and later) and the project's own
// is not installed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.join(here, 'weft.ts');
const ownNode = path.join(
  here,
  '..',
  'node_modules',
  'node',
  'bin',
  process.platform === 'win32' ? 'node.exe' : 'node',
);

/** @param {string} version */
function stripsTypes(version) {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 18);
}

if (existsSync(ownNode) && path.resolve(process.execPath) !== path.resolve(ownNode)) {
  // stdio is inherited, so `weft mcp` speaks MCP over this process's stdin/stdout unchanged.
  const child = spawn(ownNode, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('error', (error) => {
    process.stderr.write(`weft: cannot start ${ownNode}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else if (existsSync(ownNode) || stripsTypes(process.version)) {
  await import('./weft.ts');
} else {
  process.stderr.write(
    `weft: this Node (${process.version}) cannot run Weft, and the project's own Node is not installed.\n` +
      `Run \`npm install\` in ${path.resolve(here, '..')} (it installs Node 24 for Weft), ` +
      'or use Node 22.18 or later.\n',
  );
  process.exit(1);
}
