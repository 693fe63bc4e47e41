// The Shadeform double refuses what the provider would: every request is checked against the API
// description (data/shadeform/openapi.yml), unknown fields included.
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ShadeformDouble,
  startShadeformDouble,
} from "../../../src/pod/providers/shadeform-double.js";

let d: ShadeformDouble;
beforeAll(async () => {
  // No instance here ever boots: these tests are about requests.
  d = await startShadeformDouble({ bootDelayMs: 600_000 });
});
afterAll(() => d.close());

async function call(
  method: "GET" | "POST",
  path: string,
  o: { body?: string | object; key?: string | null } = {},
): Promise<{
  status: number;
  body: { code?: string; message?: string } & Record<string, unknown>;
}> {
  const key = o.key === undefined ? d.apiKey : o.key;
  const res = await request(`${d.url}${path}`, {
    method,
    headers: {
      ...(key === null ? {} : { "x-api-key": key }),
      ...(o.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body:
      o.body === undefined
        ? undefined
        : typeof o.body === "string"
          ? o.body
          : JSON.stringify(o.body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : {} };
}

const valid = {
  cloud: "massedcompute",
  region: "us-central-2",
  shade_instance_type: "H200x4",
  shade_cloud: true,
  name: "cacheon-pod-1",
  tags: ["cacheon-test"],
  auto_delete: { date_threshold: "2026-12-06T15:04:05Z", spend_threshold: "31.92" },
  envs: [{ name: "CACHEON_POD_TOKEN", value: "x".repeat(20) }],
  launch_configuration: { type: "script", script_configuration: { base64_script: "ZWNobyBoaQo=" } },
};

describe("the Shadeform double's request checks", () => {
  it("needs the API key", async () => {
    for (const key of [null, "wrong"]) {
      const r = await call("GET", "/instances", { key });
      expect(r).toEqual({
        status: 401,
        body: { code: "unauthorized", message: "missing or invalid X-API-KEY" },
      });
    }
  });

  it("accepts a well-formed create and records it", async () => {
    const r = await call("POST", "/instances/create", { body: valid });
    expect(r.status).toBe(200);
    expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const info = await call("GET", `/instances/${r.body.id}/info`);
    expect(info.body).toMatchObject({ name: "cacheon-pod-1", status: "creating", ip: "" });
    const seen = d.instances().find((i) => i.id === r.body.id);
    expect(seen).toMatchObject({ launchScript: "echo hi\n", hourlyPriceCents: 1596 });
    expect(seen?.autoDelete).toEqual({
      atMs: Date.parse("2026-12-06T15:04:05Z"),
      spendCents: 3192,
    });
  });

  it("updates an instance's name, tags and auto-delete, checked like a create", async () => {
    const { body } = await call("POST", "/instances/create", { body: valid });
    const path = `/instances/${body.id}/update`;
    const upd = { name: "renamed", tags: ["t2"], auto_delete: { spend_threshold: "1.50" } };
    expect((await call("POST", path, { body: upd })).status).toBe(200);
    expect(d.instances().find((i) => i.id === body.id)).toMatchObject({
      name: "renamed",
      tags: ["t2"],
      autoDelete: { atMs: null, spendCents: 150 },
    });
    expect((await call("POST", path, { body: { status: "active" } })).body.message).toBe(
      'body: unknown field "status"',
    );
    expect(
      (await call("POST", path, { body: { auto_delete: { spend_threshold: "lots" } } })).body
        .message,
    ).toBe('auto_delete.spend_threshold "lots" is not an amount in dollars');
  });

  it("refuses a missing required field, an unknown one and a wrong type, naming each", async () => {
    const { region: _region, ...noRegion } = valid;
    const cases: [object, string][] = [
      [noRegion, 'body: missing required field "region"'],
      [{ ...valid, gpu_count: 4 }, 'body: unknown field "gpu_count"'],
      [{ ...valid, shade_cloud: "yes" }, "body/shade_cloud: must be boolean"],
      [{ ...valid, tags: "cacheon" }, "body/tags: must be array"],
      // The transcription's field names, not the provider's: refused.
      [
        { ...valid, auto_delete: { spend_limit_in_cents: 100 } },
        'body/auto_delete: unknown field "spend_limit_in_cents"',
      ],
      [
        { ...valid, auto_delete: { date_threshold: "tomorrow" } },
        'body/auto_delete/date_threshold: must match format "date-time"',
      ],
      [{ ...valid, envs: [{ name: "A", value: 1 }] }, "body/envs/0/value: must be string"],
      [
        { ...valid, launch_configuration: { type: "ssh" } },
        "body/launch_configuration/type: must be equal to one of the allowed values",
      ],
    ];
    for (const [body, message] of cases) {
      const r = await call("POST", "/instances/create", { body });
      expect(r, message).toEqual({ status: 400, body: { code: "bad_request", message } });
    }
  });

  it("refuses what the provider's reference forbids beyond the schema", async () => {
    const both = {
      ...valid,
      launch_configuration: {
        type: "script",
        script_configuration: { base64_script: "ZWNobwo=" },
        docker_configuration: { image: "cacheon" },
      },
    };
    expect((await call("POST", "/instances/create", { body: both })).body.message).toBe(
      "only one of docker_configuration or script_configuration may be given",
    );
    const noScript = { ...valid, launch_configuration: { type: "script" } };
    expect((await call("POST", "/instances/create", { body: noScript })).body.message).toBe(
      "launch_configuration of type script needs script_configuration",
    );
    const notMoney = { ...valid, auto_delete: { spend_threshold: "lots" } };
    expect((await call("POST", "/instances/create", { body: notMoney })).status).toBe(400);
  });

  it("refuses a body that is not JSON, and a body where none is taken", async () => {
    expect(await call("POST", "/instances/create", { body: "{not json" })).toEqual({
      status: 400,
      body: { code: "bad_request", message: "the request body is not JSON" },
    });
    const id = "00000000-0000-4000-8000-000000000000";
    expect((await call("POST", `/instances/${id}/delete`, { body: {} })).body.message).toBe(
      "body: this route takes no request body",
    );
  });

  it("checks path and query parameters", async () => {
    expect((await call("GET", "/instances/not-a-uuid/info")).body.message).toBe(
      'path id: must match format "uuid"',
    );
    const missing = await call("GET", "/instances/00000000-0000-4000-8000-000000000000/info");
    expect(missing.status).toBe(404);
    expect((await call("GET", "/instances/types?gpus=4")).body.message).toBe(
      'query: unknown parameter "gpus"',
    );
    expect((await call("GET", "/instances/types?available=maybe")).body.message).toBe(
      "query available: must be boolean",
    );
    expect((await call("GET", "/instances/types?sort=name")).body.message).toBe(
      "query sort: must be equal to one of the allowed values",
    );
  });

  it("filters and sorts instance types as asked", async () => {
    const r = await call("GET", "/instances/types?num_gpus=4&available=true&sort=price");
    const types = r.body.instance_types as { cloud: string; hourly_price: number }[];
    expect(types.map((t) => t.cloud)).toEqual([
      "runpod",
      "hyperstack",
      "massedcompute",
      "datacrunch",
    ]);
  });

  it("answers 405 for a known path with another method and 404 for an unknown one", async () => {
    expect((await call("GET", "/instances/create")).status).toBe(405);
    expect((await call("GET", "/gpus")).status).toBe(404);
  });

  it("does not implement routes the rental never uses", async () => {
    expect((await call("GET", "/volumes")).status).toBe(501);
  });
});
