import type { Command } from "commander";
import { checkContract, type ProbeResult } from "../probes/contract.js";
import { parseEndpoint, parsePositive } from "./options.js";

export function registerContract(program: Command): void {
  const contract = program
    .command("contract")
    .description("check a server against the miner API contract (DESIGN §2.1)");
  contract
    .command("check")
    .description(
      "probe every requirement of the contract (health, models, streaming, non-streaming, logprobs, greedy determinism, max_tokens, fixed length, stop, usage, sampling parameters) and print pass/fail with the evidence; exits 1 if any requirement fails",
    )
    .requiredOption(
      "--endpoint <url>",
      "base URL of the server, e.g. http://127.0.0.1:8000",
      parseEndpoint,
    )
    .option("--model <name>", "model name to request (default: the first one /v1/models lists)")
    .option("--timeout <seconds>", "deadline of each probe request", parsePositive("--timeout"), 60)
    .option("--json", "print the report as JSON instead of a table")
    .action(async (opts: { endpoint: string; model?: string; timeout: number; json?: boolean }) => {
      const print = (r: ProbeResult) => {
        if (!opts.json) {
          process.stdout.write(
            `${r.passed ? "PASS" : "FAIL"}  ${r.id.padEnd(13)} ${r.title}\n      ${r.evidence}\n`,
          );
        }
      };
      if (!opts.json)
        process.stdout.write(`Checking ${opts.endpoint} against the Cacheon miner contract\n`);
      const report = await checkContract({
        endpoint: opts.endpoint,
        model: opts.model,
        timeoutMs: opts.timeout * 1000,
        onResult: print,
      });
      const failed = report.results.filter((r) => !r.passed);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        process.stdout.write(
          failed.length === 0
            ? `\nAll ${report.results.length} requirements pass.\n`
            : `\n${failed.length} of ${report.results.length} requirements fail: ${failed.map((r) => r.id).join(", ")}\n`,
        );
      }
      if (failed.length > 0) process.exitCode = 1;
    });
}
