// How well the spec mock keeps to the schemas it answers for: imports each dev spec under
// evals/data/specs, asks the mock for each action's answer (the spec's example, or generated
// data) and checks it against the action's output schema, as an action test does. Prints the
// misfits per spec with the first few reasons, and the total. `node scripts/mock-fit.ts [prefix]`.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { compileSchema } from '../server/engine/json-schema.ts';
import { importSpec } from '../server/import/index.ts';
import { loadSpec } from '../server/import/load.ts';
import { readMockSpec } from '../server/mock/operations.ts';
import { answerFor } from '../server/mock/responses.ts';

const SPECS = path.join(import.meta.dirname, '..', 'evals', 'data', 'specs');
const noFetch = (): Promise<string> => Promise.reject(new Error('no network here'));

let answered = 0;
let misfits = 0;
for (const file of (await readdir(SPECS)).sort()) {
  if (process.argv[2] !== undefined && !file.startsWith(process.argv[2])) continue;
  const source = { kind: 'path' as const, path: path.join(SPECS, file) };
  const imported = await importSpec({ source, fetchText: noFetch });
  const loaded = await loadSpec({ source, fetchText: noFetch });
  if (loaded.format === 'postman-2.1') continue;
  const spec = readMockSpec(loaded.document);
  let n = 0;
  const reasons: string[] = [];
  for (const action of imported.document.actions) {
    if (action.outputSchema === undefined) continue;
    const operation = spec.operations.find(
      (o) => o.method.toUpperCase() === action.method && o.template === action.path,
    );
    if (operation === undefined) continue;
    const answer = answerFor({
      operation: operation.raw,
      resolver: spec.resolver,
      format: spec.format,
      seed: 1,
    });
    if (answer.source === 'none') continue;
    n++;
    const result = compileSchema(action.outputSchema, { dialect: 'openapi-3.0' }).validate(
      answer.body,
    );
    if (result.valid) continue;
    reasons.push(
      `${action.slug} (${answer.source}): ${result.errors
        .slice(0, 2)
        .map((e) => `${e.path} ${e.message}`)
        .join('; ')}`,
    );
  }
  answered += n;
  misfits += reasons.length;
  process.stdout.write(`${file}: ${reasons.length} of ${n} answers do not fit\n`);
  for (const reason of reasons.slice(0, 4)) process.stdout.write(`    ${reason.slice(0, 300)}\n`);
}
process.stdout.write(`total: ${misfits} of ${answered} answers do not fit\n`);
