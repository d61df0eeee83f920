/** `npm run docs:tools`: rewrites the tools table in README.md from the tool files. */
import { readFile, writeFile } from 'node:fs/promises';
import { ADMIN_TOOLS } from '../tools/index.ts';
import { replaceTable, toolsTable } from '../tools/readme-table.ts';

const file = new URL('../README.md', import.meta.url);
const readme = await readFile(file, 'utf8');
await writeFile(file, replaceTable(readme, toolsTable(ADMIN_TOOLS)));
process.stdout.write(`README.md: ${ADMIN_TOOLS.length} tools\n`);
