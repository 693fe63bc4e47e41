// A host as URLs and `host:port` write it. Every place that makes a URL or an address out of a host
// (the servers' listening URLs, the local chain's endpoint, a container's origin, messages) goes
// through here, so an IPv6 literal is never written bare (`http://::1:80` is no URL).

/** The host as a URL's authority writes it: an IPv6 literal in brackets (`::1` → `[::1]`). */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** `host:port`, an IPv6 literal in brackets (`[::1]:8080`). */
export function hostPort(host: string, port: number): string {
  return `${urlHost(host)}:${port}`;
}
