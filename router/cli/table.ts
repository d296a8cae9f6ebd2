/**
 * The CLI's listings as aligned columns under a header row naming each column, so every list reads
 * the same way.
 */

/**
 * Formats rows as aligned columns under `header`.
 *
 * @example
 * table(['ENGINE', 'LATEST'], [['orders', '3']]); // "ENGINE  LATEST\norders  3\n"
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
