// The reference server's variants, one name space for `--variant`, a runtime spec's `variant` and a
// catalogue entry: the model's own variants (model.ts), another model, and the engine behaviours
// (behaviour.ts). Each is honest (a gate must pass it: real engines do this) or a negative (a gate
// must fail it). Light: the CLI imports it for --help without loading the vocabulary.
import {
  BEHAVIOUR_NAMES,
  type BehaviourName,
  createBehaviour,
  type EngineBehaviour,
} from "./behaviour.js";
import {
  VARIANTS as MODEL_VARIANTS,
  type Variant as ModelVariant,
  type SyntheticModel,
} from "./model.js";

export const SERVER_VARIANTS = [...MODEL_VARIANTS, "other-model", ...BEHAVIOUR_NAMES] as const;
export type ServerVariant = (typeof SERVER_VARIANTS)[number];

/** What each variant does, and whether a gate must pass it. */
export const VARIANT_INFO: Readonly<Record<ServerVariant, { honest: boolean; what: string }>> = {
  none: { honest: true, what: "the reference model itself" },
  ties: { honest: true, what: "takes the runner-up at every near-tie" },
  diverge: { honest: false, what: "takes the runner-up at ~2% of clear positions" },
  "other-model": { honest: false, what: "a different model (another model seed)" },
  fork: {
    honest: true,
    what: "forks at the first near-tie at or after output tokens 3, 36, 45, 103 and 211 (moved 0-7 by a variant seed other than 0), then follows the model's greedy path, as speculative decoding does",
  },
  "fork-rare": { honest: true, what: "forks at the first near-tie in ~1% of requests" },
  "exact-ties": {
    honest: true,
    what: "takes the other token at exact ties (bit-identical logprobs)",
  },
  "noise-small": { honest: true, what: "reports logprobs with noise up to 3.4e-3" },
  "noise-medium": { honest: true, what: "reports logprobs with noise up to 4.7e-2" },
  "noise-large": {
    honest: true,
    what: "reports logprobs with noise of mean 0.046 and max 0.32 (its argmax, and so its token, moves only at near-ties)",
  },
  flip: { honest: false, what: "takes the runner-up at 3% of clear positions" },
  "broken-kernel": {
    honest: false,
    what: "its argmax disagrees with the model's at ~4% of positions (rank 2 or 3, reported as its top-1)",
  },
  "junk-after-tie": {
    honest: false,
    what: "forks at the first near-tie, then emits random words claimed as top-1",
  },
  "hard-floor": {
    honest: false,
    what: "emits one word the model puts at logprob <= -13 (after a near-tie fork when one comes first)",
  },
  "soft-floor": {
    honest: false,
    what: "emits five words at logprob <= -8 (and > -13), four tokens apart (after a near-tie fork when one comes first)",
  },
  "rank-11": {
    honest: false,
    what: "emits the model's rank-11 token once (after a near-tie fork when one comes first)",
  },
  "eos-skip": {
    honest: false,
    what: "goes on where the model ends the answer by a wide margin, without ignore_eos",
  },
  "eos-early": {
    honest: false,
    what: "ends the answer after 4-31 tokens where the model does not (no near-tie)",
  },
};

export function isServerVariant(name: string): name is ServerVariant {
  return (SERVER_VARIANTS as readonly string[]).includes(name);
}

/** The model a variant's server runs: the model variant, and its seed from the server's. */
export function modelOf(
  variant: ServerVariant,
  seed: number,
): { variant: ModelVariant; seed: number } {
  if ((MODEL_VARIANTS as readonly string[]).includes(variant))
    return { variant: variant as ModelVariant, seed };
  return { variant: "none", seed: variant === "other-model" ? (seed + 1) >>> 0 : seed };
}

/** The engine behaviour a variant's server decodes with (null: the model's own path). */
export function behaviourOf(
  variant: ServerVariant,
  model: SyntheticModel,
  variantSeed: number,
): EngineBehaviour | null {
  return (BEHAVIOUR_NAMES as readonly string[]).includes(variant)
    ? createBehaviour(variant as BehaviourName, model, variantSeed)
    : null;
}
