// What a runtime can start: a server that is already running (a URL) or a local reference-server
// process. Container images come with the Docker runtime. Specs cross boundaries (CLI, pod jobs,
// reports), so they are zod schemas.
import { z } from "zod";

export const UrlSpecSchema = z.strictObject({
  kind: z.literal("url"),
  /** Base URL of a running OpenAI-compatible server, e.g. http://127.0.0.1:8000 */
  url: z.url({ protocol: /^https?$/ }),
});

export const ReferenceSpecSchema = z.strictObject({
  kind: z.literal("reference"),
  /** Speed profile name (baseline, fast, slow, instant) or a profile JSON file. */
  profile: z.string().min(1),
  /** Model variant: none (the reference model), ties (breaks near-ties differently), diverge. */
  variant: z.enum(["none", "ties", "diverge"]).default("none"),
});

export const ServerSpecSchema = z.discriminatedUnion("kind", [UrlSpecSchema, ReferenceSpecSchema]);
export type ServerSpec = z.infer<typeof ServerSpecSchema>;

/** A short human description, for progress lines and tables. */
export function describeSpec(spec: ServerSpec): string {
  switch (spec.kind) {
    case "url":
      return spec.url;
    case "reference":
      return `reference server, profile ${spec.profile}${spec.variant === "none" ? "" : `, variant ${spec.variant}`}`;
  }
}
