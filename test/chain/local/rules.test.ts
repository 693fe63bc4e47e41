// The local chain's pure rules: subtensor's epoch arithmetic, u16 weight upscaling, mortal eras,
// and the genesis schema's one-line errors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  commitExpired,
  epochIndex,
  inRevealEpoch,
  revealBlocks,
} from "../../../src/chain/local/epoch.js";
import { eraBirth } from "../../../src/chain/local/extrinsic.js";
import { DEV_ADDRESSES, devGenesis, parseGenesis } from "../../../src/chain/local/genesis.js";
import { maxLimited, maxUpscaleU16 } from "../../../src/chain/local/upscale.js";

const netuid = fc.integer({ min: 1, max: 1024 });
const tempo = fc.integer({ min: 1, max: 1000 });
const period = fc.integer({ min: 1, max: 5 });
const block = fc.integer({ min: 0, max: 10_000_000 });

describe("epoch arithmetic", () => {
  it("cuts the chain into epochs of tempo + 1 blocks, offset by netuid + 1", () => {
    fc.assert(
      fc.property(netuid, tempo, block, (n, t, b) => {
        const e = epochIndex(n, t, b);
        expect(epochIndex(n, t, b + 1) - e).toBeGreaterThanOrEqual(0);
        expect(epochIndex(n, t, b + t + 1)).toBe(e + 1);
      }),
    );
    // Netuid 1, tempo 10: blocks 9..19 are epoch 1 ((9 + 2) / 11 = 1).
    expect([8, 9, 19, 20].map((b) => epochIndex(1, 10, b))).toEqual([0, 1, 1, 2]);
  });

  it("reveal blocks are exactly the reveal epoch; before is too early, after is expired", () => {
    fc.assert(
      fc.property(
        netuid,
        tempo,
        period,
        block,
        fc.integer({ min: 0, max: 5000 }),
        (n, t, p, c, d) => {
          const [first, last] = revealBlocks(n, t, p, c);
          expect(last - first).toBe(t);
          const reveal = epochIndex(n, t, c) + p;
          expect(epochIndex(n, t, first)).toBe(reveal);
          expect(epochIndex(n, t, last)).toBe(reveal);
          expect(epochIndex(n, t, last + 1)).toBe(reveal + 1);
          const now = c + d;
          expect(inRevealEpoch(n, t, p, c, now)).toBe(now >= first && now <= last);
          expect(commitExpired(n, t, p, c, now)).toBe(now > last);
        },
      ),
    );
  });
});

describe("max upscaling to u16 (subtensor's I32F32 arithmetic)", () => {
  it("keeps the README's vector and rounds half up", () => {
    expect(maxUpscaleU16([65535, 32768, 1])).toEqual([65535, 32768, 1]);
    expect(maxUpscaleU16([100, 50])).toEqual([65535, 32768]);
    expect(maxUpscaleU16([3, 1])).toEqual([65535, 21845]);
    expect(maxUpscaleU16([0, 0])).toEqual([0, 0]);
    expect(maxUpscaleU16([])).toEqual([]);
  });

  it("maps the max to 65535, keeps zeros and order, and stays within rounding of the exact value", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 64 }),
        (v) => {
          const max = Math.max(...v);
          fc.pre(max > 0);
          const out = maxUpscaleU16(v);
          expect(out.length).toBe(v.length);
          for (let i = 0; i < v.length; i++) {
            const exact = ((v[i] as number) * 65535) / max;
            expect(Math.abs((out[i] as number) - exact)).toBeLessThanOrEqual(0.5 + 1e-6);
            if (v[i] === max) expect(out[i]).toBe(65535);
            if (v[i] === 0) expect(out[i]).toBe(0);
            for (let j = 0; j < v.length; j++)
              if ((v[i] as number) <= (v[j] as number))
                expect(out[i] as number).toBeLessThanOrEqual(out[j] as number);
          }
        },
      ),
    );
  });

  it("limits the largest normalised weight", () => {
    expect(maxLimited([65535], 65535)).toBe(true);
    expect(maxLimited([65535], 65534)).toBe(false);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 50 }), fc.integer({ min: 1, max: 65535 }), (n, w) => {
        const share = 65535 / n;
        const values = Array.from({ length: n }, () => w);
        if (share + 1 <= 65535) expect(maxLimited(values, Math.ceil(share) + 1)).toBe(true);
        expect(maxLimited(values, Math.floor(share) - 1)).toBe(false);
      }),
    );
  });
});

describe("mortal eras", () => {
  it("are born at or before the current block, within one period, on the phase", () => {
    const power = fc.integer({ min: 2, max: 16 }).map((p) => 2 ** p);
    fc.assert(
      fc.property(power, fc.nat(), block, (p, phaseSeed, current) => {
        const phase = phaseSeed % p;
        const birth = eraBirth({ immortal: false, period: p, phase }, current);
        expect(birth).toBeLessThanOrEqual(Math.max(current, phase));
        expect(Math.max(current, phase) - birth).toBeLessThan(p);
        expect(birth % p).toBe(phase);
      }),
    );
    expect(eraBirth({ immortal: true }, 1234)).toBe(0);
  });
});

describe("genesis", () => {
  it("applies the runtime's defaults and accepts the dev genesis", () => {
    const g = parseGenesis({ subnets: [{ netuid: 3 }] });
    expect(g.subnets[0]).toMatchObject({
      tempo: 360,
      weightsSetRateLimit: 100,
      commitRevealWeightsEnabled: true,
      revealPeriodEpochs: 1,
      minAllowedWeights: 1024,
      maxWeightsLimit: 65535,
      hotkeys: [],
    });
    const dev = parseGenesis(devGenesis());
    expect(dev.subnets[0]?.hotkeys.map((h) => h.address)).toEqual(Object.values(DEV_ADDRESSES));
    expect(dev.subnets[0]?.hotkeys.map((h) => h.validatorPermit)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it("refuses bad input with one line naming the field", () => {
    const cases: [unknown, RegExp][] = [
      [{ subnets: [{ netuid: 0 }] }, /^subnets\.0\.netuid: netuid 0 is the root network$/],
      [{ subnets: [{ netuid: 1 }, { netuid: 1 }] }, /^subnets\.1\.netuid: duplicate netuid$/],
      [
        { subnets: [{ netuid: 1, hotkeys: [{ address: "5nope" }] }] },
        /^subnets\.0\.hotkeys\.0\.address: must be an SS58/,
      ],
      [
        {
          subnets: [
            {
              netuid: 1,
              hotkeys: [{ address: DEV_ADDRESSES.bob }, { address: DEV_ADDRESSES.bob }],
            },
          ],
        },
        /hotkey registered twice/,
      ],
      [{ subnets: [{ netuid: 1, tempo: -1 }] }, /^subnets\.0\.tempo: /],
      [{ accounts: [{ address: DEV_ADDRESSES.eve, free: "1e9" }] }, /^accounts\.0\.free: /],
      [{ subnet: [] }, /^genesis: |subnet/],
    ];
    for (const [input, message] of cases) expect(() => parseGenesis(input)).toThrow(message);
  });
});
