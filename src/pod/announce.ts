// The two lines `cacheon pod serve` prints on stdout for whoever started it: the certificate's
// fingerprint to pin (with TLS), then the URL once it listens. Written and read here only.

export const certificateLine = (fingerprint: string) =>
  `cacheon pod certificate sha256 ${fingerprint}`;
export const listeningLine = (url: string) => `cacheon pod listening on ${url}`;

/** What a pod's stdout so far announces: its URL once it listens, and its pin if it printed one.
 *  A line counts once it is whole (its newline read), so a chunk cut mid-URL is not taken. */
export function readAnnouncement(
  stdout: string,
): { url: string; fingerprint: string | null } | null {
  const url = /^cacheon pod listening on (https?:\/\/\S+)\n/m.exec(stdout)?.[1];
  if (url === undefined) return null;
  const fingerprint = /^cacheon pod certificate sha256 (\S+)\n/m.exec(stdout)?.[1] ?? null;
  return { url, fingerprint };
}
