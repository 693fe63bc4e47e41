#!/usr/bin/env node
// The `cacheon` command: each subcommand lives in a file of its own and registers itself here,
// under the command groups (report, miner, validator, chain) made here.
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { registerBench } from "./bench.js";
import { registerChain } from "./chain.js";
import { registerChainLocal } from "./chain-local.js";
import { registerContract } from "./contract.js";
import { registerDemo } from "./demo.js";
import { CliError } from "./errors.js";
import { registerEval } from "./eval.js";
import { registerGate } from "./gate.js";
import { registerMinerCheck } from "./miner-check.js";
import { registerMinerCommit } from "./miner-commit.js";
import { registerPod } from "./pod.js";
import { registerPods } from "./pods.js";
import { registerReference } from "./reference.js";
import { registerReportRescore } from "./report-rescore.js";
import { registerValidatorRun } from "./validator-run.js";
import { registerValidatorSetWeights } from "./validator-set-weights.js";
import { registerWallet } from "./wallet.js";

const program = new Command("cacheon")
  .description("Cacheon (SN14): an open competition for LLM inference speed")
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

registerDemo(program);
registerEval(program);
registerReportRescore(program.command("report").description("work with EvalReport files"));
const miner = program
  .command("miner")
  .description("what a miner runs: the pre-flight check and the on-chain commit");
registerMinerCheck(miner);
registerMinerCommit(miner);
const validator = program.command("validator").description("what a validator runs");
registerValidatorRun(validator);
registerValidatorSetWeights(validator);
const chain = program
  .command("chain")
  .description("the Bittensor chain: commitments, metagraph, local chain");
registerChain(chain);
registerChainLocal(chain);
registerWallet(program);
registerGate(program);
registerBench(program);
registerContract(program);
registerReference(program);
registerPod(program);
registerPods(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander already printed the message (and help, for usage errors).
    process.exitCode = err.exitCode;
  } else if (err instanceof CliError) {
    process.stderr.write(`cacheon: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    // A bug, not bad input: one line by default, the stack when asked for.
    const detail = process.env.CACHEON_DEBUG ? (err as Error)?.stack : (err as Error)?.message;
    process.stderr.write(
      `cacheon: internal error: ${detail ?? String(err)} (CACHEON_DEBUG=1 shows the stack)\n`,
    );
    process.exitCode = 70;
  }
}
