import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const PROMPTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'prompts');

export interface PromptArgument {
  name: string;
  description: string;
  required: boolean;
}

export interface PromptFile {
  name: string;
  title: string;
  description: string;
  arguments: PromptArgument[];
  body: string;
}

/** Prompts are Markdown files with a YAML header and `{{variables}}`, in prompts/. */
export async function loadPrompts(dir = PROMPTS_DIR): Promise<PromptFile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();
  const prompts: PromptFile[] = [];
  for (const file of files) {
    const text = await readFile(path.join(dir, file), 'utf8');
    const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
    if (!match) throw new Error(`prompt ${file} needs a YAML header between --- lines`);
    const header = YAML.parse(match[1] ?? '') as Omit<PromptFile, 'body'>;
    prompts.push({ ...header, arguments: header.arguments ?? [], body: match[2] ?? '' });
  }
  return prompts;
}

export function renderPrompt(
  prompt: PromptFile,
  values: Readonly<Record<string, string | undefined>>,
): string {
  for (const arg of prompt.arguments) {
    if (arg.required && !values[arg.name])
      throw new Error(`prompt ${prompt.name} needs the argument ${arg.name}`);
  }
  return prompt.body.replace(
    /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g,
    (_, name: string) => values[name] ?? '(none given)',
  );
}
