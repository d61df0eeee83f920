// Browser-test helpers: the real app (buildApp on PGlite, listening on a random loopback port),
// Debian's Chromium driven by playwright-core, screenshots into web/e2e/screenshots/ (git-ignored),
// and an accessibility check of the page as rendered. There is no skipping: without Chromium the
// tests fail and say how to install it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../test/app.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');

export interface WebApp {
  t: TestApp;
  org: SeededOrg;
  url: string;
}

export async function startWebApp(env: Record<string, string> = {}): Promise<WebApp> {
  const t = await createTestApp('pglite', { env });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const org = await seedOrg(t, 'Web');
  return { t, org, url: `http://127.0.0.1:${address.port}` };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // From the top: a full-page capture of a scrolled page would draw sticky parts (the sidebar)
  // where the scroll left them instead of where they start.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Accessibility basics of what is on screen: every form control has an accessible name, every
 * button has text or a label, images have alt, one h1, the document has a language, and nothing
 * is wider than the window (no horizontal overflow). Returns the problems found.
 */
export async function a11yProblems(page: Page): Promise<string[]> {
  // Runs in the page (a string, since this file is type-checked without the DOM library).
  return page.evaluate<string[]>(`(() => {
    const problems = [];
    const named = (el) =>
      Boolean(
        el.labels?.length ||
        el.getAttribute('aria-label') ||
        el.getAttribute('aria-labelledby') ||
        el.getAttribute('title'),
      );
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden') continue;
      if (!named(el))
        problems.push(\`unlabelled \${el.tagName.toLowerCase()} \${el.outerHTML.slice(0, 80)}\`);
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (!(el.textContent ?? '').trim() && !el.getAttribute('aria-label')) {
        problems.push(\`nameless \${el.tagName.toLowerCase()} \${el.outerHTML.slice(0, 80)}\`);
      }
    }
    for (const img of document.querySelectorAll('img')) {
      if (!img.hasAttribute('alt')) problems.push(\`img without alt \${img.src}\`);
    }
    const h1s = document.querySelectorAll('h1').length;
    if (h1s !== 1) problems.push(\`\${h1s} h1 elements\`);
    if (!document.documentElement.lang) problems.push('no lang on <html>');
    if (document.documentElement.scrollWidth > window.innerWidth + 1) {
      problems.push(
        \`horizontal overflow: \${document.documentElement.scrollWidth}px > \${window.innerWidth}px\`,
      );
    }
    return problems;
  })()`);
}

const require = createRequire(import.meta.url);
let axeSource: string | null = null;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core run on the page as rendered; answers the serious and critical violations. axe is
 * evaluated through the DevTools protocol, so the page's CSP (scripts from its origin only) stays
 * in force.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) {
    await page.evaluate(axeSource);
  }
  return page.evaluate<AxeViolation[]>(`(async () => {
    const result = await window.axe.run(document, {
      resultTypes: ['violations'],
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' ' + (n.failureSummary ?? '')),
      }));
  })()`);
}
