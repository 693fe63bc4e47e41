// Images without Docker: a catalogue maps image digests to reference-server specs, so a pod with
// the local runtime can run the jobs a validator sends it (image references pinned by digest) as
// `cacheon reference serve` processes. It is what `cacheon demo` and the validator's tests run
// miners with on a machine without a Docker engine; a real pod runs the images themselves.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseImageRef } from "../contract/image-ref.js";
import { formatZodIssues } from "../contract/json-file.js";
import { ImageRefused, type Runtime } from "./runtime.js";
import { ReferenceSpecSchema } from "./spec.js";

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `{ "sha256:…": { "kind": "reference", "profile": "fast", "variant": "none" } }` */
export const ImageCatalogueSchema = z
  .record(z.string(), ReferenceSpecSchema)
  .superRefine((catalogue, ctx) => {
    for (const key of Object.keys(catalogue))
      if (!DIGEST.test(key))
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: "the key must be sha256:<64 lowercase hex>",
        });
  });
export type ImageCatalogue = z.infer<typeof ImageCatalogueSchema>;

/** A stable made-up digest for a catalogue entry: sha256 of its name and spec. */
export function catalogueDigest(name: string, spec: z.input<typeof ReferenceSpecSchema>): string {
  const { profile, variant = "none", variantSeed } = spec;
  // A seed only when set, so the digests of entries without one stay as they were.
  const text = JSON.stringify({ name, profile, variant, ...(variantSeed ? { variantSeed } : {}) });
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/** Reads a catalogue file; one line saying what is wrong otherwise. */
export function readImageCatalogue(path: string): ImageCatalogue {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  const r = ImageCatalogueSchema.safeParse(json);
  if (!r.success) throw new Error(`${path}: ${formatZodIssues(r.error)}`);
  return r.data;
}

/** `base` with image specs resolved through the catalogue (by digest); others refused as the miner's fault. */
export function catalogueRuntime(base: Runtime, catalogue: ImageCatalogue): Runtime {
  return {
    start(spec, opts) {
      if (spec.kind !== "image") return base.start(spec, opts);
      const ref = parseImageRef(spec.image);
      const entry = ref.ok ? catalogue[ref.ref.digest] : undefined;
      if (!entry)
        return Promise.reject(
          new ImageRefused(`${spec.image} is not in this pod's image catalogue (no Docker here)`),
        );
      return base.start(entry, opts);
    },
  };
}
