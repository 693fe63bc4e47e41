import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  commitmentRef,
  encodeCommitmentField,
  parseCommitmentBytes,
  parseCommitmentInfo,
  parseCommitmentText,
  type RejectKind,
} from "../../src/chain/commitment.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const hex = (s: string) => `0x${Buffer.from(s, "utf8").toString("hex")}`;
const rawField = (s: string) => ({ [`raw${Buffer.byteLength(s)}`]: hex(s) });
const kindOf = (info: unknown): RejectKind | "ok" => {
  const r = parseCommitmentInfo(info);
  return r.ok ? "ok" : r.kind;
};

describe("parseCommitmentText", () => {
  it("accepts name[:tag]@sha256 with or without a registry host and port", () => {
    for (const name of [
      "ghcr.io/acme/sn-miner:v1",
      "acme/miner",
      "localhost:5000/a/b__c.d-e:latest",
      "registry.example.com:443/x",
      "[::1]:5000/x/y",
      "a",
    ]) {
      const r = parseCommitmentText(`${name}@${DIGEST}`);
      expect(r.ok, name).toBe(true);
    }
    const r = parseCommitmentText(`ghcr.io/acme/sn-miner:v1@${DIGEST}`);
    expect(r).toEqual({
      ok: true,
      ref: {
        name: "ghcr.io/acme/sn-miner",
        tag: "v1",
        digest: DIGEST,
        text: `ghcr.io/acme/sn-miner:v1@${DIGEST}`,
      },
    });
  });
  it("rejects each malformed kind with its own reason", () => {
    const cases: [string, RejectKind][] = [
      ["ghcr.io/acme/miner", "missing-digest"],
      ["ghcr.io/acme/miner:v1", "tag-without-digest"],
      ["ghcr.io/acme/miner@sha256:abc", "malformed-digest"],
      [`ghcr.io/acme/miner@sha256:${"AB".repeat(32)}`, "malformed-digest"],
      [`ghcr.io/acme/miner@sha512:${"ab".repeat(64)}`, "malformed-digest"],
      [`ghcr.io/acme/miner@${DIGEST}@${DIGEST}`, "malformed-digest"],
      [`ghcr.io/acme/miner@${DIGEST} `, "malformed-digest"],
      [`ghcr.io/Acme/miner@${DIGEST}`, "bad-reference"],
      [`ghcr.io/acme//miner@${DIGEST}`, "bad-reference"],
      [`-bad.io/acme@${DIGEST}`, "bad-reference"],
      [`ghcr.io/acme/miner:.v1@${DIGEST}`, "bad-reference"],
      [`ghcr.io/acme/miner:${"t".repeat(129)}@${DIGEST}`, "bad-reference"],
      [`${"a/".repeat(128)}b@${DIGEST}`, "bad-reference"],
      [` ghcr.io/acme/miner@${DIGEST}`, "bad-reference"],
      [`@${DIGEST}`, "bad-reference"],
      ["", "bad-reference"],
    ];
    for (const [text, kind] of cases) {
      const r = parseCommitmentText(text);
      expect(r.ok ? "ok" : r.kind, text).toBe(kind);
      if (!r.ok) expect(r.reason).not.toContain("\n");
    }
  });
  it("round-trips every generated valid reference", () => {
    const comp = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4})?$/);
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom("ghcr.io", "docker.io", "localhost:5000", "r.example.com:443")),
        fc.array(comp, { minLength: 1, maxLength: 3 }),
        fc.option(fc.stringMatching(/^\w[\w.-]{0,10}$/)),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        (host, path, tag, hexDigest) => {
          const name = [...(host ? [host] : []), ...path].join("/");
          const text = `${name}${tag ? `:${tag}` : ""}@sha256:${hexDigest}`;
          const r = parseCommitmentText(text);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.ref.text).toBe(text);
        },
      ),
    );
  });
});

describe("parseCommitmentInfo (chain data)", () => {
  const good = `ghcr.io/acme/sn-miner:v1@${DIGEST}`;
  it("accepts one Raw{N} or BigRaw field holding a reference", () => {
    expect(kindOf({ fields: [rawField(good)] })).toBe("ok");
    expect(kindOf({ fields: [{ bigRaw: hex(good) }] })).toBe("ok");
  });
  it("rejects every bad shape with a reason and never throws", () => {
    expect(kindOf({ fields: [] })).toBe("empty");
    expect(kindOf({ fields: [{ none: null }] })).toBe("empty");
    expect(kindOf({ fields: [rawField(good), rawField(good)] })).toBe("extra-fields");
    expect(kindOf({ fields: [rawField(good), { none: null }] })).toBe("extra-fields");
    expect(kindOf({ fields: [{ resetBondsFlag: null }] })).toBe("not-raw");
    for (const h of ["blakeTwo256", "sha256", "keccak256", "shaThree256"])
      expect(kindOf({ fields: [{ [h]: `0x${"11".repeat(32)}` }] })).toBe("not-raw");
    expect(kindOf({ fields: [{ timelockEncrypted: { encrypted: "0x", revealRound: 0 } }] })).toBe(
      "not-raw",
    );
    expect(kindOf({ fields: [{ raw2: "0xc328" }] })).toBe("not-utf8");
    expect(kindOf({ fields: [{ bigRaw: hex("a".repeat(513)) }] })).toBe("oversize");
    expect(kindOf({ fields: [rawField("ghcr.io/acme/miner:v1")] })).toBe("tag-without-digest");
    expect(kindOf({ fields: [{ raw3: "0x6162" }] })).toBe("malformed");
    expect(kindOf({ fields: [{ raw3: 7 }] })).toBe("malformed");
    expect(kindOf({ fields: [{ raw3: "0x616263", none: null }] })).toBe("malformed");
    for (const junk of [null, undefined, 5, "x", [], { fields: "x" }, { fields: [null] }])
      expect(kindOf(junk)).toBe("malformed");
  });
  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(() => parseCommitmentInfo({ fields: [v] })).not.toThrow();
        expect(() => parseCommitmentInfo(v)).not.toThrow();
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        expect(() => parseCommitmentBytes(b)).not.toThrow();
      }),
    );
  });
});

describe("commitmentRef and encodeCommitmentField (miner side)", () => {
  const withBigRaw = new Set(["None", "Raw0", "BigRaw"]);
  const withoutBigRaw = new Set(["None", "Raw0"]);
  it("builds the reference from --image and --digest and refuses bad ones", () => {
    expect(commitmentRef("ghcr.io/acme/sn-miner:v1", DIGEST).text).toBe(
      `ghcr.io/acme/sn-miner:v1@${DIGEST}`,
    );
    expect(() => commitmentRef(`ghcr.io/acme/m@${DIGEST}`, DIGEST)).toThrow(/--digest/);
    expect(() => commitmentRef("ghcr.io/acme/m", "sha256:zz")).toThrow(/sha256/);
    expect(() => commitmentRef("Bad/Name", DIGEST)).toThrow(/repository name/);
  });
  it("uses Raw{N} up to 128 bytes, BigRaw above where the runtime has it, else refuses", () => {
    const short = commitmentRef("ghcr.io/acme/sn-miner:v1", DIGEST);
    const f = encodeCommitmentField(short, withBigRaw);
    expect(f.variant).toBe("Raw96");
    expect(Buffer.from(f.bytes).toString("utf8")).toBe(short.text);
    const long = commitmentRef(`ghcr.io/${"a".repeat(60)}/miner`, DIGEST);
    expect(encodeCommitmentField(long, withBigRaw).variant).toBe("BigRaw");
    expect(() => encodeCommitmentField(long, withoutBigRaw)).toThrow(/no BigRaw/);
    const edge = commitmentRef(`ghcr.io/${"a".repeat(128 - 72 - 8)}`, DIGEST);
    expect(edge.text.length).toBe(128);
    expect(encodeCommitmentField(edge, withoutBigRaw).variant).toBe("Raw128");
  });
});
