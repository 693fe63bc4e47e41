// `cacheon report rescore`: every gate verdict and score of an EvalReport recomputed offline from
// its records, answers and the teacher's stored scores, and checked against the stored ones.
import type { Command } from "commander";
import { readJsonFile } from "../contract/json-file.js";
import { StoredOutputError } from "../eval/outputs.js";
import {
  EVAL_REPORT_SCHEMA,
  EVAL_REPORT_SCHEMA_V1,
  type EvalReport,
  EvalReportSchema,
} from "../eval/report.js";
import { type RescoreResult, rescore } from "../eval/rescore.js";
import { formatTable } from "../table.js";
import { CliError } from "./errors.js";

export function registerReportRescore(reportGroup: Command): void {
  reportGroup
    .command("rescore")
    .description(
      "recompute every gate verdict and score of an EvalReport offline from its records, answers and the teacher's stored scores, and check them against the stored ones; exits 1 on any difference",
    )
    .argument("<file>", "an EvalReport JSON file (cacheon eval --out)")
    .option("--json", "print the result as JSON")
    .action((file: string, opts: { json?: boolean }) => {
      const report = readReport(file);
      let r: RescoreResult;
      try {
        r = rescore(report);
      } catch (err) {
        if (err instanceof StoredOutputError) throw new CliError(`${file}: ${err.message}`);
        throw err;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const rows = [["candidate", "stored score", "recomputed", "passed", "reproduced"]];
        for (const c of r.candidates)
          rows.push([
            c.name,
            c.stored.score.toFixed(6),
            c.recomputed.score.toFixed(6),
            `${c.stored.passed} / ${c.recomputed.passed}`,
            c.differences.length === 0 ? "yes" : "NO",
          ]);
        process.stdout.write(`${formatTable(rows, 1)}\n`);
        for (const d of [...r.baseline.differences, ...r.candidates.flatMap((c) => c.differences)])
          process.stdout.write(`  ${d}\n`);
        process.stdout.write(
          r.reproduced
            ? "Every score was reproduced exactly.\n"
            : "Some stored values were NOT reproduced.\n",
        );
      }
      if (!r.reproduced) process.exitCode = 1;
    });
}

function readReport(file: string): EvalReport {
  const json = readJsonFile(file, "report", (m) => new CliError(m));
  if ((json as { schema?: unknown } | null)?.schema === EVAL_REPORT_SCHEMA_V1)
    throw new CliError(
      `${file} is a ${EVAL_REPORT_SCHEMA_V1} report: its verdicts follow the gate before the teacher (issue 16), which compared nothing after a request's first near-tie, and it has no teacher scores to judge those tokens with; it cannot be rescored under the current rules (${EVAL_REPORT_SCHEMA}). Run the session again to judge its servers.`,
    );
  const parsed = EvalReportSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new CliError(
      `${file} is not a ${EVAL_REPORT_SCHEMA} report: ${i?.path.join(".") || "<root>"}: ${i?.message}`,
    );
  }
  return parsed.data;
}
