/**
 * A results table for the terminal and bench/README.md: the first `leftColumns` columns
 * left-aligned (names), the rest right-aligned (numbers), a rule under the header.
 */
export function formatTable({
  head,
  rows,
  leftColumns = 1,
}: {
  head: string[];
  rows: string[][];
  leftColumns?: number;
}): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
