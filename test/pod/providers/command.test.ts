// The command provider with a tiny marketplace of shell scripts: a folder of instance files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HardwareSchema } from "../../../src/arena/config.js";
import { CommandProvider, type CommandProviderConfig } from "../../../src/pod/providers/command.js";
import { chooseOffer } from "../../../src/pod/providers/offers.js";
import type { RentalRequest } from "../../../src/pod/providers/types.js";
import { rejection } from "./rejection.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cacheon-command-provider-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a script into the test folder; the command that runs it. */
function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\nD='${dir}'\n${body}\n`, { mode: 0o755 });
  return `'${file}'`;
}

// The fake market: create stores its stdin and answers one instance; info/list read it back.
const INSTANCE =
  '{"id":"i-1","name":"cacheon-pod-1","tags":["cacheon-v1"],"address":"10.1.2.3:8750","hourly_price_cents":1700,"created_at":"2026-12-06T10:00:00Z"}';

function market(over: Partial<CommandProviderConfig> = {}): CommandProvider {
  return new CommandProvider({
    create: script(
      "create",
      `cat > "$D/request.json"\necho '{"id":"i-1","address":"10.1.2.3:8750"}'`,
    ),
    info: script(
      "info",
      `echo "$1" > "$D/info-arg"\nif [ -e "$D/deleted" ]; then echo null; else echo '${INSTANCE}'; fi`,
    ),
    list: script("list", `printf '%s' "$1" > "$D/list-arg"\necho '[${INSTANCE}]'`),
    delete: script("delete", `printf '%s' "$1" > "$D/deleted"`),
    offer: { gpus: 4, gpuModel: "H200", hourlyPriceCents: 1600 },
    timeoutMs: 5_000,
    ...over,
  });
}

const req: RentalRequest = {
  name: "cacheon-pod-1",
  tags: ["cacheon-v1"],
  placement: { type: "command", cloud: "command", region: "command" },
  launchScript: "#!/bin/sh\necho hi\n",
  env: { CACHEON_POD_TOKEN: "secret-token-0123456789" },
  autoDelete: { atMs: Date.parse("2026-12-06T16:00:00Z"), spendCents: 9_600 },
};

describe("CommandProvider", () => {
  it("offers what the operator declared, checked against the arena's hardware", async () => {
    const offers = await market().instanceTypes();
    expect(chooseOffer(offers, HardwareSchema.parse({})).offer).toMatchObject({
      gpus: 4,
      hourlyPriceCents: 1600,
    });
    const small = new CommandProvider({
      create: "x",
      info: "x",
      list: "x",
      delete: "x",
      offer: { gpus: 1, gpuModel: "H100", hourlyPriceCents: 300 },
    });
    expect(chooseOffer(await small.instanceTypes(), HardwareSchema.parse({})).offer).toBeNull();
  });

  it("creates with the rental as JSON on stdin, then reads, lists and deletes", async () => {
    const p = market();
    expect(await p.create(req)).toEqual({ id: "i-1" });
    expect(JSON.parse(readFileSync(join(dir, "request.json"), "utf8"))).toEqual({
      name: "cacheon-pod-1",
      tags: ["cacheon-v1"],
      type: "command",
      launch_script: "#!/bin/sh\necho hi\n",
      env: { CACHEON_POD_TOKEN: "secret-token-0123456789" },
      auto_delete: { at: "2026-12-06T16:00:00.000Z", spend_usd: "96.00" },
    });
    const info = await p.info("i-1");
    expect(info).toEqual({
      id: "i-1",
      name: "cacheon-pod-1",
      tags: ["cacheon-v1"],
      status: "active",
      ip: "10.1.2.3",
      address: "10.1.2.3:8750",
      hourlyPriceCents: 1700,
      createdAtMs: Date.parse("2026-12-06T10:00:00Z"),
    });
    expect((await p.list("cacheon-v1")).map((i) => i.id)).toEqual(["i-1"]);
    // The list command's answer is filtered by tag here too.
    expect(await p.list("other")).toEqual([]);
    await p.delete("i-1");
    expect(readFileSync(join(dir, "deleted"), "utf8")).toBe("i-1");
    expect(await p.info("i-1")).toBeNull();
  });

  it("passes an argument as data, never as shell text", async () => {
    const p = market();
    const tag = `a b; touch '${dir}/pwned' $(id)`;
    await p.list(tag);
    expect(readFileSync(join(dir, "list-arg"), "utf8")).toBe(tag);
    expect(() => readFileSync(join(dir, "pwned"))).toThrow();
  });

  it("shows the command's stderr when it fails", async () => {
    const p = market({ info: script("info-bad", "echo 'zone eu-9: auth expired' >&2\nexit 3") });
    const err = await rejection(p.info("i-1"));
    expect(err.kind).toBe("unavailable");
    expect(err.message).toBe("the info command failed (exit 3): zone eu-9: auth expired");
  });

  it("a create that fails or hangs is uncertain; exit 75 is no capacity", async () => {
    const failing = market({ create: script("c1", "echo 'half done' >&2\nexit 1") });
    const e1 = await rejection(failing.create(req));
    expect(e1).toMatchObject({
      kind: "uncertain",
      message: "the create command failed (exit 1): half done; it may have happened",
    });
    const full = market({ create: script("c2", "echo 'no H200 left' >&2\nexit 75") });
    expect(await rejection(full.create(req))).toMatchObject({
      kind: "no_capacity",
      message: "the create command failed (exit 75): no H200 left",
    });
    const slow = market({ create: script("c3", "sleep 30"), timeoutMs: 300 });
    const t0 = Date.now();
    expect(await rejection(slow.create(req))).toMatchObject({
      kind: "uncertain",
      message: "the create command did not finish in 0.3 s; it may have happened",
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("refuses output that is not what it should be, saying what is wrong", async () => {
    const notJson = market({ create: script("c4", "echo created") });
    // It exited 0: the instance exists, whatever it printed.
    expect(await rejection(notJson.create(req))).toMatchObject({
      kind: "uncertain",
      message:
        'the create command printed no JSON: "created"; the create succeeded, so it has happened',
    });
    const noId = market({ create: script("c5", `echo '{"address":"h:1"}'`) });
    expect((await rejection(noId.create(req))).message).toMatch(
      /^the create command's output: id: .*; the create succeeded, so it has happened$/,
    );
    const notAList = market({ list: script("l2", `echo '{"id":"i-1"}'`) });
    expect(await rejection(notAList.list("cacheon-v1"))).toMatchObject({
      kind: "bad_response",
      message: "the list command's output: <root>: Invalid input: expected array, received object",
    });
    const badAddress = market({
      info: script("i2", `echo '{"id":"i-1","name":"n","address":"no port"}'`),
    });
    expect((await rejection(badAddress.info("i-1"))).message).toBe(
      `the info command's output: address: expected "HOST:PORT"`,
    );
  });

  it("takes the declared price and pending status when an answer gives neither", async () => {
    const p = market({ info: script("i3", `echo '{"id":"i-2","name":"n"}'`) });
    expect(await p.info("i-2")).toMatchObject({
      status: "pending",
      address: null,
      ip: null,
      hourlyPriceCents: 1600,
    });
  });

  it("refuses a configuration without its commands", () => {
    expect(
      () =>
        new CommandProvider({
          create: " ",
          info: "x",
          list: "x",
          delete: "x",
          offer: { gpus: 4, gpuModel: "H200", hourlyPriceCents: 1 },
        }),
    ).toThrow(/give a shell command/);
  });
});
