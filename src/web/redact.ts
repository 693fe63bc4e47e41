// Failure reasons the store keeps can name a pod ("pod http://10.0.0.7:9000 unreachable"): the
// public API and dashboard replace every configured pod name with a placeholder, so a GPU pod's
// address is never served.

export type Redact = <T>(value: T) => T;

export function redactor(secrets: readonly string[], placeholder = "[pod]"): Redact {
  // Longest first, so a name that contains another is replaced whole.
  const list = [...new Set(secrets.filter((s) => s.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  const text = (s: string) => list.reduce((acc, secret) => acc.split(secret).join(placeholder), s);
  const deep = (v: unknown): unknown => {
    if (typeof v === "string") return text(v);
    if (Array.isArray(v)) return v.map(deep);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
    return v;
  };
  return <T>(value: T): T => (list.length === 0 ? value : (deep(value) as T));
}
