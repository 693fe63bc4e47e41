// Shared by the commands, the demo's story (app/demo.ts) and bench/, so it sits at the root layer.
/** Plain-text table: columns padded to their widest cell; the first `left` columns left-aligned. */
export function formatTable(rows: string[][], left = 1): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
