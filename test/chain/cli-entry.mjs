// Test-only entry: the chain commands registered the way src/cli/main.ts registers commands, run
// from the build. (Until the lead wires them into main.ts; then test/helpers/cli.ts can run them.)
import { Command, CommanderError } from "commander";
import { registerChain, registerValidatorSetWeights } from "../../dist/src/cli/chain.js";
import { CliError } from "../../dist/src/cli/errors.js";
import { registerMinerCommit } from "../../dist/src/cli/miner-commit.js";
import { registerWallet } from "../../dist/src/cli/wallet.js";

const program = new Command("cacheon").showHelpAfterError().exitOverride();
registerWallet(program);
registerChain(program);
registerMinerCommit(program.command("miner").description("what a miner runs"));
registerValidatorSetWeights(program.command("validator").description("what a validator runs"));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode;
  else if (err instanceof CliError) {
    process.stderr.write(`cacheon: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`cacheon: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  }
}
