// Prints each suite's summary from vitest's JSON reports (.ci/run), then the total as one plain
// "N passed, N failed, N skipped" line. Exits 1 if a report is missing or any test failed.
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";

const total = { passed: 0, failed: 0, skipped: 0 };
let ok = true;
for (const file of process.argv.slice(2)) {
  const suite = basename(file, ".json");
  if (!existsSync(file)) {
    console.log(`${suite}: no report`);
    ok = false;
    continue;
  }
  const r = JSON.parse(readFileSync(file, "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(
    `${suite}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped (${r.numTotalTests} tests in ${r.testResults.length} files)`,
  );
  total.passed += r.numPassedTests;
  total.failed += r.numFailedTests;
  total.skipped += skipped;
  if (!r.success) ok = false;
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(ok && total.failed === 0 ? 0 : 1);
