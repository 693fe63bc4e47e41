// Progress of an eval session on stderr: a bar per slot on a terminal, one line per slot otherwise
// (logs, CI). Quiet mode prints nothing.
import { SingleBar } from "cli-progress";
import type { EvalProgress } from "../eval/session.js";
import { describeSpec } from "../runtime/spec.js";

export function evalProgress(quiet: boolean): (e: EvalProgress) => void {
  if (quiet) return () => {};
  const tty = process.stderr.isTTY === true;
  const line = (s: string) => process.stderr.write(`  ${s}\n`);
  let bar: SingleBar | null = null;
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  return (e) => {
    switch (e.type) {
      case "server-start":
        line(
          `${e.role === e.server ? e.server : `${e.role} ${e.server}`}: starting (${describeSpec(e.spec)})`,
        );
        break;
      case "status":
        line(`${e.server}: ${e.line}`);
        break;
      case "healthy":
        line(`${e.server}: healthy after ${(e.waitedMs / 1000).toFixed(1)} s`);
        break;
      case "slot-start":
        if (tty) {
          bar = new SingleBar({
            format: `  ${e.server} ${e.slot.padEnd(14)} [{bar}] {value}/{total} requests, {failed} failed`,
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: true,
          });
          bar.start(e.requests, 0, { failed: 0 });
        }
        break;
      case "requests":
        bar?.update(e.done, { failed: e.failed });
        break;
      case "slot-end":
        stopBar();
        line(
          `${e.server} ${e.slot}: ${e.ok} ok, ${e.failed} failed in ${(e.wallMs / 1000).toFixed(1)} s`,
        );
        break;
      case "teacher-start":
        line(`teacher: scoring ${e.requests} forked requests and their stock controls`);
        break;
      case "teacher-end":
        line(
          e.failure
            ? `teacher: FAILED: ${e.failure.message}`
            : `teacher: ${e.requests} forked requests scored in ${(e.wallMs / 1000).toFixed(1)} s`,
        );
        break;
      case "server-end":
        stopBar();
        line(
          e.failure
            ? `${e.server}: FAILED at ${e.failure.stage}: ${e.failure.message}`
            : `${e.server}: done`,
        );
        break;
    }
  };
}
