// How the gate writes tokens and numbers in its messages.

/** A token, quoted as JSON (so whitespace and control characters show), cut at 40 characters. */
export function show(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
}

/** A number with at most 6 significant digits. */
export function num(x: number): string {
  return String(Number(x.toPrecision(6)));
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
