// The public vectors in test/fixtures/timelock/ (README there says where each came from), checked
// for shape on load so a damaged fixture fails loudly rather than as a wrong answer.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const DIR = fileURLToPath(new URL("../../fixtures/timelock/", import.meta.url));
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));

const Vectors = z.object({
  quicknet: z.object({
    chainHash: hex(32),
    publicKey: hex(96),
    genesisTime: z.number().int(),
    period: z.number().int(),
  }),
  signatures: z.record(z.string().regex(/^\d+$/), hex(48)),
  notACurvePoint: hex(48),
  round1000MessageSha256: hex(32),
  gt: z.object({ generator: hex(576), generatorMul7: hex(576) }),
  payloadExample: z.object({
    hotkey: hex(32),
    uids: z.array(z.number().int()),
    values: z.array(z.number().int()),
    versionKey: z.string().regex(/^\d+$/),
    hex: z.string().regex(/^([0-9a-f]{2})+$/),
  }),
  finneyCall: z.object({
    file: z.string(),
    block: z.number().int(),
    palletIndex: z.number().int(),
    callIndex: z.number().int(),
    netuid: z.number().int(),
    mecid: z.number().int(),
    revealRound: z.number().int(),
    commitRevealVersion: z.number().int(),
    commitBytes: z.number().int(),
    payloadBytes: z.number().int(),
  }),
});

export const vectors = Vectors.parse(JSON.parse(readFileSync(`${DIR}vectors.json`, "utf8")));

export function bytes(hexString: string): Uint8Array {
  return new Uint8Array(Buffer.from(hexString, "hex"));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

export function signature(round: number): Uint8Array {
  const sig = vectors.signatures[String(round)];
  if (sig === undefined) throw new Error(`no signature of round ${round} in the fixtures`);
  return bytes(sig);
}

export function finneyCallHex(): string {
  return readFileSync(`${DIR}${vectors.finneyCall.file}`, "utf8").trim();
}
