// Named subtensor endpoints (as Bittensor's SDK names them) and the rule for a custom URL.

export const NETWORKS = {
  finney: "wss://entrypoint-finney.opentensor.ai:443",
  test: "wss://test.finney.opentensor.ai:443",
  local: "ws://127.0.0.1:9944",
} as const;

export type NetworkName = keyof typeof NETWORKS;

/** The WebSocket URL of `finney`, `test`, `local` or a ws:// / wss:// URL; throws one line otherwise. */
export function resolveNetwork(network: string): string {
  if (Object.hasOwn(NETWORKS, network)) return NETWORKS[network as NetworkName];
  let url: URL;
  try {
    url = new URL(network);
  } catch {
    throw new Error(
      `network ${JSON.stringify(network)} is neither ${Object.keys(NETWORKS).join(", ")} nor a ws:// or wss:// URL`,
    );
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:")
    throw new Error(`network URL must be ws:// or wss://, got ${url.protocol}//`);
  return network;
}
