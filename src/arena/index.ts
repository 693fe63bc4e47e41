// The arena: its config (schema, presets, loading) and its prompt pool with seeded sampling.
export * from "./config.js";
export * from "./load.js";
export * from "./pool.js";
export * from "./presets.js";
