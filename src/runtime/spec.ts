// What a runtime can start: a server that is already running (a URL), a local reference-server
// process, or a container image pinned by digest (the Docker runtime). Specs cross boundaries (CLI,
// pod jobs, reports), so they are zod schemas.
import { z } from "zod";
import { parseImageRef } from "../contract/image-ref.js";
import { SERVER_VARIANTS } from "../reference/variants.js";

export const UrlSpecSchema = z.strictObject({
  kind: z.literal("url"),
  /** Base URL of a running OpenAI-compatible server, e.g. http://127.0.0.1:8000 */
  url: z.url({ protocol: /^https?$/ }),
});

export const ReferenceSpecSchema = z.strictObject({
  kind: z.literal("reference"),
  /** Speed profile name (baseline, fast, slow, instant) or a profile JSON file. */
  profile: z.string().min(1),
  /** The model's or the engine's variant (reference/variants.ts): none is the reference model. */
  variant: z.enum(SERVER_VARIANTS).default("none"),
  /** Moves an engine variant's choices (which requests fork, where it misbehaves). Default 0. */
  variantSeed: z.number().int().min(0).max(0xffffffff).optional(),
});

export const ImageSpecSchema = z.strictObject({
  kind: z.literal("image"),
  /** `[registry/]repository[:tag]@sha256:<64 hex>`: a tag alone is refused (tags move). */
  image: z.string().superRefine((text, ctx) => {
    const parsed = parseImageRef(text);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
  }),
  /** Arguments after the image's entrypoint: the baseline's pinned args; none for miners. */
  args: z.array(z.string()).default([]),
});

export const ServerSpecSchema = z.discriminatedUnion("kind", [
  UrlSpecSchema,
  ReferenceSpecSchema,
  ImageSpecSchema,
]);
export type ServerSpec = z.infer<typeof ServerSpecSchema>;

/** A short human description, for progress lines and tables. */
export function describeSpec(spec: ServerSpec): string {
  switch (spec.kind) {
    case "url":
      return spec.url;
    case "reference":
      return `reference server, profile ${spec.profile}${spec.variant === "none" ? "" : `, variant ${spec.variant}${spec.variantSeed ? ` (seed ${spec.variantSeed})` : ""}`}`;
    case "image":
      return `image ${spec.image}`;
  }
}
