// The built-in demo metadata (a subset of runtime 424), which lets the local chain run without
// ../shared: the real client against a chain serving it (metagraph, commitments, weights, a pallet
// error by name), the fixture README's vectors, how the metadata is chosen, the CLI's --metadata
// builtin, and, where finney's metadata is at hand, that everything it declares is runtime 424's.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { PortableRegistry } from "@polkadot/types";
import type { Si1Field } from "@polkadot/types/interfaces";
import { expandMetadata } from "@polkadot/types/metadata/decorate";
import { u8aToHex } from "@polkadot/util";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitmentRef } from "../../../src/chain/commitment.js";
import { builtinMetadata } from "../../../src/chain/local/builtin-metadata.js";
import {
  DEV_ADDRESSES,
  devGenesis,
  type LocalChain,
  startLocalChain,
} from "../../../src/chain/local/chain.js";
import {
  loadRuntime,
  METADATA_ENV,
  MetadataMissingError,
  metadataPath,
  metadataSource,
} from "../../../src/chain/local/runtime.js";
import { revealPendingWeights, submitWeights } from "../../../src/chain/submit-weights.js";
import { ExtrinsicFailedError, Subtensor } from "../../../src/chain/subtensor.js";
import { cliEntry } from "../../../src/cli/entry.js";
import { fixtureRegistry, hasMetadata } from "../fixture.js";
import { type Loose, rawRpc } from "./helpers.js";

const ALICE_HEX = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
const DIGEST = `sha256:${"ab".repeat(32)}`;
const BLOCK_MS = 100;
const BUILTIN = "builtin";

let dir: string;
let alice: KeyringPair;
let bob: KeyringPair;
let ferdie: KeyringPair;

beforeAll(async () => {
  await cryptoWaitReady();
  dir = await mkdtemp(join(tmpdir(), "cacheon-builtin-metadata-"));
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  alice = keyring.addFromUri("//Alice");
  bob = keyring.addFromUri("//Bob");
  ferdie = keyring.addFromUri("//Ferdie");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function untilBlock(chain: Subtensor, block: number): Promise<void> {
  while ((await chain.head()).number < block) await new Promise((r) => setTimeout(r, BLOCK_MS / 2));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("did not throw");
}

/** Run `fn` with $CACHEON_SUBTENSOR_METADATA set to `value` (unset for undefined), then restore it. */
function withEnv<T>(value: string | undefined, fn: () => T): T {
  const before = process.env[METADATA_ENV];
  if (value === undefined) delete process.env[METADATA_ENV];
  else process.env[METADATA_ENV] = value;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env[METADATA_ENV];
    else process.env[METADATA_ENV] = before;
  }
}

describe("which metadata the local chain runs", () => {
  it("takes `builtin` from --metadata or the environment, a named file as named, else the fixture if present", () => {
    const file = join(dir, "some.scale");
    withEnv(file, () => {
      expect(metadataSource(BUILTIN)).toEqual({ kind: "builtin" });
      expect(metadataSource()).toEqual({ kind: "file", path: file });
    });
    withEnv(BUILTIN, () => {
      expect(metadataSource()).toEqual({ kind: "builtin" });
      expect(metadataSource(file)).toEqual({ kind: "file", path: file });
    });
    withEnv(undefined, () => {
      // Without a name: the shared fixture where it exists, else the built-in subset.
      expect(metadataSource()).toEqual(
        hasMetadata ? { kind: "file", path: metadataPath() } : { kind: "builtin" },
      );
    });
  });

  it("refuses a named file that is missing or not metadata, in one line", async () => {
    const junk = join(dir, "junk.scale");
    await writeFile(junk, "not metadata");
    for (const [path, message] of [
      [
        join(dir, "missing.scale"),
        /^subtensor metadata not found at .*missing\.scale: .*"builtin"/,
      ],
      [junk, /^.*junk\.scale is not SCALE runtime metadata: /],
    ] as const) {
      const err = thrown(() => loadRuntime(path));
      expect(err).toBeInstanceOf(MetadataMissingError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    }
  });

  it("loads the built-in subset once, says so, and serves it as V16 with runtime 424's API versions", () => {
    const runtime = loadRuntime(BUILTIN);
    expect(loadRuntime(BUILTIN)).toBe(runtime);
    expect(runtime.source).toBe("builtin");
    expect(runtime.description).toBe("built-in demo metadata (a subset of runtime 424)");
    expect(runtime.metadataVersion).toBe(16);
    expect(u8aToHex(runtime.bytes)).toBe(u8aToHex(builtinMetadata()));
    // "meta" then version 16, as state_getMetadata serves it; a small fraction of finney's 338 kB.
    expect(u8aToHex(runtime.bytes.subarray(0, 5))).toBe("0x6d65746110");
    expect(runtime.bytes.length).toBeLessThan(32_000);
    expect(runtime.metadata.asLatest.pallets.map((p) => `${p.index}:${p.name}`)).toEqual([
      "0:System",
      "2:Timestamp",
      "7:SubtensorModule",
      "18:Commitments",
    ]);
    expect(runtime.apis.map(([, version]) => version)).toEqual([5, 2, 1, 4]);
  });
});

describe("the real client against a local chain running the built-in metadata", () => {
  let local: LocalChain;
  let chain: Subtensor;
  beforeAll(async () => {
    local = await startLocalChain({
      blockTimeMs: BLOCK_MS,
      genesis: devGenesis(),
      metadataPath: BUILTIN,
    });
    chain = await Subtensor.connect(local.url);
  });
  afterAll(async () => {
    await chain?.close();
    await local?.close();
  });

  it("gets the built-in metadata and runtime 424's version", () => {
    expect(chain.api.runtimeMetadata.toHex()).toBe(u8aToHex(builtinMetadata()));
    expect(chain.api.runtimeVersion.specName.toString()).toBe("node-subtensor");
    expect(chain.api.runtimeVersion.specVersion.toNumber()).toBe(424);
  });

  it("builds the fixture README's storage keys and call data byte for byte", () => {
    const Q: Loose = chain.api.query;
    expect(Q.subtensorModule.keys.key(1, 0)).toBe(
      "0x658faa385070e074c85bf6b568cf05559f99a2ce711f3a31b2fc05604c93f17901000000",
    );
    expect(Q.commitments.commitmentOf.key(1, DEV_ADDRESSES.alice)).toBe(
      `0xca407206ec1ab726b2636c4b145ac287419a60ae8b01e6dcaebd7317e43c69bf0100518366b5b1bc7c99${ALICE_HEX}`,
    );
    const tx = (call: string, ...args: unknown[]) =>
      chain
        .txFn(
          "subtensorModule",
          call,
        )(...args)
        .method.toHex();
    expect(tx("setWeights", 1, [0, 1, 2], [65535, 32768, 1], 0)).toBe(
      "0x070001000c0000010002000cffff008001000000000000000000",
    );
    expect(tx("commitTimelockedWeights", 1, "0x010203", 20000000, 4)).toBe(
      "0x077101000c010203002d3101000000000400",
    );
  });

  it("reads the dev genesis metagraph", async () => {
    const graph = await chain.metagraph(1);
    expect(graph.neurons.map((n) => n.hotkey)).toEqual(Object.values(DEV_ADDRESSES));
    expect(graph.neurons.map((n) => n.validatorPermit)).toEqual([true, false, false, false, false]);
    expect(graph.neurons[0]?.stake).toBe("1000000000000");
    expect(graph.neurons[2]?.coldkey).toBe(DEV_ADDRESSES.charlie);
    expect(await chain.weightsParams(1)).toMatchObject({
      tempo: 20,
      weightsSetRateLimit: 10,
      commitRevealEnabled: false,
      commitRevealVersion: 4,
    });
  });

  it("commits a miner's image reference and reads it back", async () => {
    const ref = commitmentRef("ghcr.io/acme/sn-miner:v1", DIGEST);
    expect(chain.setCommitmentTx(1, ref).method.toHex()).toBe(
      `0x1200010004${"61"}${Buffer.from(ref.text).toString("hex")}`,
    );
    const result = await chain.setCommitment(bob, 1, ref);
    const entries = await chain.commitments(1);
    expect(entries).toEqual([
      {
        hotkey: bob.address,
        block: result.blockNumber,
        raw: u8aToHex(Buffer.from(ref.text)),
        parsed: { ok: true, ref },
      },
    ]);
  });

  it("sets weights with commit-reveal off and the chain stores them", async () => {
    const report = await submitWeights(chain, alice, 1, [0, 1, 2], [1, 0.5, 0.25], {
      pendingPath: join(dir, "direct.json"),
    });
    expect(report.outcome).toMatchObject({
      kind: "set",
      uids: [0, 1, 2],
      values: [65535, 32768, 16384],
    });
    const Q: Loose = chain.api.query;
    expect((await Q.subtensorModule.weights(1, 0)).toJSON()).toEqual([
      [0, 65535],
      [1, 32768],
      [2, 16384],
    ]);
    const block = report.outcome.kind === "set" ? report.outcome.block : -1;
    expect(await chain.lastUpdate(1, 0)).toBe(block);
  });

  it("decodes a hotkey's refusal by name: Commitments.AccountNotAllowedCommit", async () => {
    const err = await chain
      .setCommitment(ferdie, 1, commitmentRef("ghcr.io/acme/other:v1", DIGEST))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtrinsicFailedError);
    expect(err).toMatchObject({ pallet: "Commitments", error: "AccountNotAllowedCommit" });
    expect((err as Error).message).toBe(
      "Commitments.set_commitment failed on chain: Commitments.AccountNotAllowedCommit: Account is not allowed to make commitments to the chain",
    );
  });
});

describe("hash commit-reveal on the built-in metadata", () => {
  it("commits, then reveals in the reveal epoch, and the chain stores the weights", async () => {
    const genesis = devGenesis();
    const local = await startLocalChain({
      blockTimeMs: BLOCK_MS,
      metadataPath: BUILTIN,
      genesis: {
        ...genesis,
        subnets: [
          { ...genesis.subnets?.[0], netuid: 1, tempo: 10, commitRevealWeightsEnabled: true },
        ],
      },
    });
    const chain = await Subtensor.connect(local.url);
    try {
      const pendingPath = join(dir, "reveals.json");
      const report = await submitWeights(chain, alice, 1, [1, 4], [0.25, 1], {
        pendingPath,
        salt: [9, 8, 7, 6, 5, 4, 3, 2],
      });
      expect(report.outcome.kind).toBe("committed");
      if (report.outcome.kind !== "committed") return;
      await untilBlock(chain, report.outcome.firstRevealBlock);
      const [reveal] = await revealPendingWeights(chain, alice, pendingPath);
      expect(reveal).toMatchObject({ kind: "revealed", commitHash: report.outcome.commitHash });
      const Q: Loose = chain.api.query;
      expect((await Q.subtensorModule.weights(1, 0)).toJSON()).toEqual([
        [1, 16384],
        [4, 65535],
      ]);
    } finally {
      await chain.close();
      await local.close();
    }
  });
});

describe("cacheon chain local --metadata builtin", () => {
  it("says it runs the built-in metadata and serves it", async () => {
    const child = spawn(
      process.execPath,
      [cliEntry(), "chain", "local", "--port", "0", "--block-ms", "0", "--metadata", BUILTIN],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /^cacheon local chain listening on (ws:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once("exit", () => reject(new Error(`exited before listening: ${out}${err}`)));
    });
    expect(await rawRpc(url, "state_getMetadata", [])).toMatchObject({
      result: u8aToHex(builtinMetadata()),
    });
    expect(err).toContain(
      "cacheon local chain: built-in demo metadata (a subset of runtime 424)\n",
    );
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

// ---- Against finney's runtime-424 metadata, where ../shared has it ----

/** Where `ours` (built-in) is not a subset of `theirs` (finney) in shape: null when it is. */
function mismatch(
  ours: PortableRegistry,
  a: number,
  theirs: PortableRegistry,
  b: number,
  at: string,
  seen = new Set<string>(),
): string | null {
  if (seen.has(`${a}:${b}`)) return null;
  seen.add(`${a}:${b}`);
  const x = ours.getSiType(a);
  const y = theirs.getSiType(b);
  const [px, py] = [x.path.join("::"), y.path.join("::")];
  if (px !== py) return `${at}: path ${px} ≠ ${py}`;
  const [d, e] = [x.def, y.def];
  if (d.type !== e.type) return `${at}: ${d.type} ≠ ${e.type}`;
  const sub = (i: number, j: number, where: string) =>
    mismatch(ours, i, theirs, j, `${at}${where}`, seen);
  const fields = (fx: Si1Field[], fy: Si1Field[], where: string): string | null => {
    const names = (fs: Si1Field[]) =>
      fs.map((f) => (f.name.isSome ? f.name.unwrap().toString() : "_"));
    if (names(fx).join() !== names(fy).join())
      return `${at}${where}: fields ${names(fx)} ≠ ${names(fy)}`;
    for (const [i, f] of fx.entries()) {
      const found = sub(f.type.toNumber(), (fy[i] as Si1Field).type.toNumber(), `${where}.${i}`);
      if (found) return found;
    }
    return null;
  };
  switch (d.type) {
    case "Primitive":
      return d.asPrimitive.type === e.asPrimitive.type ? null : `${at}: ${d.asPrimitive.type}`;
    case "Array":
      if (!d.asArray.len.eq(e.asArray.len)) return `${at}: array length`;
      return sub(d.asArray.type.toNumber(), e.asArray.type.toNumber(), "[]");
    case "Sequence":
      return sub(d.asSequence.type.toNumber(), e.asSequence.type.toNumber(), "[]");
    case "Compact":
      return sub(d.asCompact.type.toNumber(), e.asCompact.type.toNumber(), "<>");
    case "Tuple":
      if (d.asTuple.length !== e.asTuple.length) return `${at}: tuple length`;
      for (const [i, t] of d.asTuple.entries()) {
        const found = sub(t.toNumber(), (e.asTuple[i] as typeof t).toNumber(), `.${i}`);
        if (found) return found;
      }
      return null;
    case "Composite":
      return fields([...d.asComposite.fields], [...e.asComposite.fields], "");
    case "Variant":
      for (const vx of d.asVariant.variants) {
        const name = vx.name.toString();
        const vy = e.asVariant.variants.find((w) => w.index.eq(vx.index));
        if (vy?.name.toString() !== name) return `${at}: no variant ${vx.index} ${name}`;
        const docs = vx.docs.map(String).join(" ");
        if (docs && docs !== vy.docs.map(String).join(" ")) return `${at}::${name}: docs`;
        const found = fields([...vx.fields], [...vy.fields], `::${name}`);
        if (found) return found;
      }
      return null;
    default:
      return `${at}: unexpected ${d.type}`;
  }
}

describe.skipIf(!hasMetadata)("the built-in metadata is a subset of finney's runtime 424", () => {
  const builtin = () => loadRuntime(BUILTIN);

  it("declares runtime 424's pallets, storage, calls, events, errors and constants", () => {
    const ours = builtin().metadata.asLatest;
    const theirs = fixtureRegistry().metadata.asLatest;
    const problems: string[] = [];
    const check = (a: number, b: number, at: string) => {
      const found = mismatch(ours.lookup, a, theirs.lookup, b, at);
      if (found) problems.push(found);
    };
    for (const p of ours.pallets) {
      const name = p.name.toString();
      const q = theirs.pallets.find((x) => x.name.eq(name));
      if (!q?.index.eq(p.index)) {
        problems.push(`pallet ${name}: index`);
        continue;
      }
      for (const item of p.storage.unwrap().items) {
        const at = `${name}.${item.name}`;
        const other = q.storage.unwrap().items.find((x) => x.name.eq(item.name));
        if (!other) {
          problems.push(`${at}: missing`);
          continue;
        }
        if (!other.modifier.eq(item.modifier)) problems.push(`${at}: modifier`);
        if (other.fallback.toHex() !== item.fallback.toHex()) problems.push(`${at}: default`);
        if (item.type.isPlain !== other.type.isPlain) problems.push(`${at}: plain/map`);
        else if (item.type.isPlain)
          check(item.type.asPlain.toNumber(), other.type.asPlain.toNumber(), at);
        else {
          const [m, n] = [item.type.asMap, other.type.asMap];
          if (m.hashers.map(String).join() !== n.hashers.map(String).join())
            problems.push(`${at}: hashers`);
          check(m.key.toNumber(), n.key.toNumber(), `${at} key`);
          check(m.value.toNumber(), n.value.toNumber(), `${at} value`);
        }
      }
      for (const kind of ["calls", "events", "errors"] as const) {
        const [mine, other] = [p[kind], q[kind]];
        if (mine.isSome)
          check(mine.unwrap().type.toNumber(), other.unwrap().type.toNumber(), `${name} ${kind}`);
      }
      for (const c of p.constants) {
        const other = q.constants.find((x) => x.name.eq(c.name));
        if (other?.value.toHex() !== c.value.toHex()) problems.push(`${name}.${c.name}: value`);
        else check(c.type.toNumber(), other.type.toNumber(), `${name}.${c.name}`);
      }
    }
    const [eo, et] = [ours.outerEnums, theirs.outerEnums];
    check(eo.callType.toNumber(), et.callType.toNumber(), "RuntimeCall");
    check(eo.eventType.toNumber(), et.eventType.toNumber(), "RuntimeEvent");
    check(eo.errorType.toNumber(), et.errorType.toNumber(), "RuntimeError");
    expect(problems).toEqual([]);
  });

  it("declares runtime 424's extrinsic: address, signature, extensions in order, runtime APIs", () => {
    const ours = builtin().metadata.asLatest;
    const theirs = fixtureRegistry().metadata.asLatest;
    const problems: string[] = [];
    const check = (a: { toNumber(): number }, b: { toNumber(): number }, at: string) => {
      const found = mismatch(ours.lookup, a.toNumber(), theirs.lookup, b.toNumber(), at);
      if (found) problems.push(found);
    };
    const [x, y] = [ours.extrinsic, theirs.extrinsic];
    check(x.addressType, y.addressType, "address");
    check(x.signatureType, y.signatureType, "signature");
    expect(x.transactionExtensions.map((e) => e.identifier.toString())).toEqual(
      y.transactionExtensions.map((e) => e.identifier.toString()),
    );
    for (const [i, e] of x.transactionExtensions.entries()) {
      const f = y.transactionExtensions[i] as typeof e;
      check(e.type, f.type, `${e.identifier}`);
      check(e.implicit, f.implicit, `${e.identifier} implicit`);
    }
    for (const api of ours.apis) {
      const other = theirs.apis.find((a) => a.name.eq(api.name));
      if (!other?.version.eq(api.version)) {
        problems.push(`${api.name}: version`);
        continue;
      }
      for (const m of api.methods) {
        const n = other.methods.find((k) => k.name.eq(m.name));
        const at = `${api.name}_${m.name}`;
        if (
          n?.inputs.map((i) => i.name.toString()).join() !==
          m.inputs.map((i) => i.name.toString()).join()
        ) {
          problems.push(`${at}: inputs`);
          continue;
        }
        for (const [i, input] of m.inputs.entries())
          check(input.type, (n.inputs[i] as typeof input).type, `${at}(${input.name})`);
        check(m.output, n.output, `${at} output`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("encodes the weight calls, commitments and storage keys exactly as finney's metadata does", () => {
    const fixture = fixtureRegistry();
    const finney = expandMetadata(fixture.registry, fixture.metadata);
    const ours = builtin().decorated;
    type Decorated = typeof ours;
    const tx = (d: Decorated) =>
      d.tx as unknown as Record<string, Record<string, (...a: unknown[]) => { toHex(): string }>>;
    const key = (d: Decorated, section: string, item: string, ...args: unknown[]) =>
      u8aToHex(
        (d.query as unknown as Record<string, Record<string, (...a: unknown[]) => Uint8Array>>)[
          section
        ]?.[item]?.(...args),
      );
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const account = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => u8aToHex(a));
    fc.assert(
      fc.property(
        u16,
        fc.array(u16, { maxLength: 8 }),
        fc.array(u16, { maxLength: 8 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.uint8Array({ maxLength: 128 }),
        account,
        (netuid, uids, values, versionKey, raw, who) => {
          const same = (f: (d: Decorated) => string) => expect(f(ours)).toBe(f(finney));
          same(
            (d) =>
              tx(d).subtensorModule?.setWeights?.(netuid, uids, values, versionKey).toHex() ?? "",
          );
          same(
            (d) =>
              tx(d)
                .subtensorModule?.revealWeights?.(netuid, uids, values, uids, versionKey)
                .toHex() ?? "",
          );
          same(
            (d) =>
              tx(d)
                .subtensorModule?.commitWeights?.(netuid, `0x${"11".repeat(32)}`)
                .toHex() ?? "",
          );
          same(
            (d) =>
              tx(d)
                .commitments?.setCommitment?.(netuid, {
                  fields: [{ [`Raw${raw.length}`]: u8aToHex(raw) }],
                })
                .toHex() ?? "",
          );
          same((d) => key(d, "commitments", "commitmentOf", netuid, who));
          same((d) => key(d, "subtensorModule", "uids", netuid, who));
          same((d) => key(d, "subtensorModule", "weights", netuid, uids[0] ?? 0));
          same((d) => key(d, "subtensorModule", "weightCommits", netuid, who));
          same((d) => key(d, "subtensorModule", "totalHotkeyAlpha", who, netuid));
          same((d) => key(d, "system", "account", who));
        },
      ),
      { numRuns: 50 },
    );
  });
});
