// The entry of the reference engine's container image (`node …/reference-engine-main.js`): serves
// until SIGTERM, which the pod sends when it stops the container.
import { startReferenceEngine } from "./reference-engine.js";

try {
  const server = await startReferenceEngine(process.env);
  process.stdout.write(`reference engine listening on ${server.url}\n`);
  process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
} catch (err) {
  process.stderr.write(`reference engine: ${(err as Error).message}\n`);
  process.exit(2);
}
