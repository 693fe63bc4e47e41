// Hash commit-reveal state that must survive a restart: what was committed (uids, values, salt,
// version key) and when it can be revealed. One JSON file, replaced atomically (write + rename).
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../contract/atomic-write.js";

const u16 = z.number().int().min(0).max(65535);
const block = z.number().int().min(0);

const pendingRevealSchema = z.object({
  hotkey: z.string(),
  netuid: u16,
  uids: z.array(u16),
  values: z.array(u16),
  salt: z.array(u16),
  /** u64 as a decimal string (JSON numbers lose precision above 2^53). */
  versionKey: z.string().regex(/^\d+$/),
  commitHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  commitBlock: block,
  revealEpoch: block,
  firstRevealBlock: block,
  lastRevealBlock: block,
});
const fileSchema = z.object({ version: z.literal(1), pending: z.array(pendingRevealSchema) });

export type PendingReveal = z.infer<typeof pendingRevealSchema>;

/** The pending reveals in `path`; none when the file does not exist. */
export async function loadPendingReveals(path: string): Promise<PendingReveal[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`pending-reveal file ${path} is not JSON`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`pending-reveal file ${path} is malformed: ${parsed.error.issues[0]?.message}`);
  return parsed.data.pending;
}

/** Replaces the file with `pending` so that a crash leaves either the old or the new list. */
export async function savePendingReveals(path: string, pending: PendingReveal[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify({ version: 1, pending }, null, 2)}\n`, { mode: 0o600 });
}
