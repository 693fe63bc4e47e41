// Subtensor's own transaction extensions, declared for @polkadot's registries (the client's and
// the local chain's), apart from the client so the chain double need not load @polkadot/api.
/**
 * Runtime 424's own transaction extensions carry no bytes, neither in the extrinsic nor in the
 * signed payload (empty structs with `Implicit = ()`): declared so @polkadot/api builds exactly the
 * payload the chain verifies instead of warning and guessing.
 */
export const SUBTENSOR_SIGNED_EXTENSIONS = Object.fromEntries(
  [
    "SudoTransactionExtension",
    "CheckShieldedTxValidity",
    "SubtensorTransactionExtension",
    "DrandPriority",
  ].map((name) => [name, { extrinsic: {}, payload: {} }]),
);
