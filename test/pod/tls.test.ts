// TLS between the validator and its pods, on loopback: the pin is checked before any byte of a
// request leaves the client, `pod serve` prints the fingerprint a client then sees, and plain HTTP
// is refused off loopback unless asked for.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer, type Server } from "node:tls";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { checkToken, TOKEN_ENV } from "../../src/pod/auth.js";
import { PodClient, PodError } from "../../src/pod/client.js";
import {
  isLoopbackHost,
  makePodCredentials,
  PodAddressError,
  type PodCredentials,
  parseFingerprint,
  parsePodAddress,
  podCredentialsEnv,
  podTransport,
  TLS_CERT_ENV,
  TLS_KEY_ENV,
  tlsIdentity,
} from "../../src/pod/tls.js";
import { type PodProcess, startPod, TOKEN } from "./pod-process.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-pod-tls-"));
let creds: PodCredentials;
let other: PodCredentials;

beforeAll(async () => {
  [creds, other] = await Promise.all([makePodCredentials(), makePodCredentials()]);
});

/** The fingerprint a TLS client sees on `port`, with no check at all. */
function peerFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.once("error", reject);
  });
}

describe("fingerprints and addresses", () => {
  const fp =
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

  it("takes colon hex in either case and 64 bare hex digits, and answers upper-case colon hex", () => {
    expect(parseFingerprint(fp)).toBe(fp);
    expect(parseFingerprint(fp.toLowerCase())).toBe(fp);
    expect(parseFingerprint(fp.replaceAll(":", "").toLowerCase())).toBe(fp);
    expect(parseFingerprint(` ${fp}\n`)).toBe(fp);
    for (const bad of ["", fp.slice(3), `${fp}:00`, fp.replace("AB", "AG"), "AB:CD"])
      expect(parseFingerprint(bad)).toBeNull();
  });

  it("an https address carries its pin after #sha256= (never sent), or beside it", () => {
    expect(parsePodAddress(`https://10.0.0.2:8750/#sha256=${fp.toLowerCase()}`)).toEqual({
      url: "https://10.0.0.2:8750",
      fingerprint: fp,
    });
    expect(parsePodAddress("https://10.0.0.2:8750", { fingerprint: fp })).toEqual({
      url: "https://10.0.0.2:8750",
      fingerprint: fp,
    });
  });

  it.each([
    ["https://10.0.0.2:8750", {}, /an https pod needs its certificate's fingerprint/],
    ["https://10.0.0.2:8750#sha256=AB:CD", {}, /the part after # must be sha256=FINGERPRINT/],
    ["https://10.0.0.2:8750#AB", {}, /the part after # must be sha256=FINGERPRINT/],
    [`http://127.0.0.1:8750#sha256=${fp}`, {}, /pins an https:\/\/ pod, not an http:\/\/ one/],
    ["http://10.0.0.2:8750", {}, /plain http to another host sends the token in the clear/],
    ["http://0.0.0.0:8750", {}, /plain http to another host/],
    ["http://pod.example:8750", {}, /plain http to another host/],
    ["ftp://10.0.0.2", {}, /https:\/\/ or http:\/\/, not ftp:/],
    ["10.0.0.2:8750", {}, /is not a URL \(e\.g\. https:/],
    ["not a url", {}, /is not a URL/],
    [
      `https://10.0.0.2:8750#sha256=${fp}`,
      { fingerprint: fp.replace("AB", "00") },
      /two different fingerprints/,
    ],
    ["https://10.0.0.2:8750", { fingerprint: "sha1" }, /is not a SHA-256 fingerprint/],
  ])("refuses %s %j", (address, o, why) => {
    expect(() => parsePodAddress(address, o)).toThrow(PodAddressError);
    expect(() => parsePodAddress(address, o)).toThrow(why);
  });

  it("allows plain http on loopback, and to another host only when asked to", () => {
    for (const url of ["http://127.0.0.1:8750", "http://localhost:1", "http://[::1]:8750"])
      expect(parsePodAddress(url).fingerprint).toBeNull();
    expect(parsePodAddress("http://10.0.0.2:8750/", { insecureHttp: true })).toEqual({
      url: "http://10.0.0.2:8750",
      fingerprint: null,
    });
    // The PodClient applies the same rule to an address given as text.
    expect(() => new PodClient("http://10.0.0.2:8750", TOKEN)).toThrow(/in the clear/);
    expect(() => new PodClient("https://10.0.0.2:8750", TOKEN)).toThrow(/needs its certificate/);
  });

  it("knows loopback listen addresses however written, and nothing else", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.2", "192.168.1.1", "fe80::1", "pod.example"])
      expect(isLoopbackHost(h)).toBe(false);
  });
});

describe("pod serve's transport", () => {
  const t = (host: string, o: { given?: boolean; selfSigned?: boolean; insecureHttp?: boolean }) =>
    podTransport({
      host,
      given: o.given === true,
      selfSigned: o.selfSigned === true,
      insecureHttp: o.insecureHttp === true,
    });

  it("never serves plain HTTP off loopback unless --insecure-http says so", () => {
    for (const host of ["0.0.0.0", "::", "10.0.0.2", "pod.example"]) {
      expect(t(host, {})).toBe("self-made");
      expect(t(host, { given: true })).toBe("given");
      expect(t(host, { insecureHttp: true })).toBe("http");
    }
  });

  it("serves plain HTTP on loopback unless a certificate is given or --self-signed asks for one", () => {
    expect(t("127.0.0.1", {})).toBe("http");
    expect(t("::1", {})).toBe("http");
    expect(t("127.0.0.1", { selfSigned: true })).toBe("self-made");
    expect(t("127.0.0.1", { given: true })).toBe("given");
  });

  it("refuses two transports at once", () => {
    expect(() => t("0.0.0.0", { given: true, insecureHttp: true })).toThrow(
      "choose one of a certificate and --insecure-http",
    );
    expect(() => t("0.0.0.0", { given: true, selfSigned: true })).toThrow(/--self-signed/);
    expect(() => t("0.0.0.0", { selfSigned: true, insecureHttp: true })).toThrow(
      "choose one of --self-signed and --insecure-http",
    );
  });
});

describe("a rental's credentials", () => {
  it("are a checked key pair, its fingerprint and a strong token, in the env pod serve reads", () => {
    expect(creds.fingerprint).toBe(new X509Certificate(creds.certPem).fingerprint256);
    expect(tlsIdentity(creds.keyPem, creds.certPem, "x")).toEqual({
      keyPem: creds.keyPem,
      certPem: creds.certPem,
      fingerprint: creds.fingerprint,
    });
    expect(checkToken(creds.token, "token")).toBe(creds.token);
    expect(creds.token).toMatch(/^[0-9a-f]{64}$/);
    expect(other.fingerprint).not.toBe(creds.fingerprint);
    expect(other.token).not.toBe(creds.token);
    expect(podCredentialsEnv(creds)).toEqual({
      [TOKEN_ENV]: creds.token,
      [TLS_KEY_ENV]: creds.keyPem,
      [TLS_CERT_ENV]: creds.certPem,
    });
  });

  it("a key that is not the certificate's, or no certificate, is one line naming the source", () => {
    expect(() => tlsIdentity(other.keyPem, creds.certPem, "--tls-cert c.pem")).toThrow(
      "--tls-cert c.pem: the private key is not the certificate's",
    );
    expect(() => tlsIdentity(creds.keyPem, "junk", "$CACHEON_POD_TLS_CERT")).toThrow(
      "$CACHEON_POD_TLS_CERT: the certificate is not a PEM X.509 certificate",
    );
    expect(() => tlsIdentity("junk", creds.certPem, "f")).toThrow(
      "f: the private key is not a PEM private key",
    );
  });
});

describe("the pin: checked before anything is sent", () => {
  let server: Server;
  let port: number;
  let connections = 0;
  let received = "";

  beforeAll(async () => {
    // A bare TLS server with the pod's key pair: it records every byte a client sends after the
    // handshake, and answers a request's head with a pod's health answer.
    server = createServer({ key: creds.keyPem, cert: creds.certPem }, (socket) => {
      let head = "";
      socket.setEncoding("utf8").on("data", (s: string) => {
        received += s;
        head += s;
        if (!head.includes("\r\n\r\n")) return;
        head = "";
        const body = '{"ok":true,"busy":false}';
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
      });
      socket.on("error", () => {});
    });
    server.on("connection", () => connections++);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("a wrong pin fails as unauthorized after the handshake, and the server gets not one byte", async () => {
    const client = new PodClient(`https://127.0.0.1:${port}#sha256=${other.fingerprint}`, TOKEN);
    const err = await client.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodError);
    expect((err as PodError).kind).toBe("unauthorized");
    expect((err as PodError).message).toBe(
      `the pod at https://127.0.0.1:${port} is not the pinned one: its certificate's sha256 fingerprint is ${creds.fingerprint}, not the pinned ${other.fingerprint}: nothing was sent`,
    );
    expect(connections).toBeGreaterThan(0); // it did connect: the check is the pin, not the network
    await new Promise((r) => setTimeout(r, 200)); // time for any byte on its way
    expect(received).toBe("");
  });

  it("the right pin (either case) sends the request, token and all", async () => {
    const pin = creds.fingerprint.toLowerCase();
    expect(await new PodClient(`https://127.0.0.1:${port}#sha256=${pin}`, TOKEN).health()).toEqual({
      ok: true,
      busy: false,
    });
    expect(received).toMatch(/^GET \/health HTTP\/1\.1\r\n/);
    expect(received).toContain(`authorization: Bearer ${TOKEN}`);
  });
});

describe("cacheon pod serve over TLS", () => {
  const pods: PodProcess[] = [];
  afterAll(async () => {
    for (const p of pods) await p.kill();
  });
  const start = async (stateDir: string, extra: string[], env: Record<string, string> = {}) => {
    const pod = await startPod(join(dir, stateDir), extra, env);
    pods.push(pod);
    return pod;
  };
  const portOf = (pod: PodProcess) => Number(new URL(pod.url).port);

  it("makes its own certificate once, prints the fingerprint a client sees, and keeps it across restarts", async () => {
    const pod = await start("self", ["--self-signed"]);
    expect(pod.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(pod.fingerprint).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    expect(await peerFingerprint(portOf(pod))).toBe(pod.fingerprint);
    // Its stderr lines come before the ready line, but through another pipe.
    await vi.waitFor(() => expect(pod.stderr()).toContain(`#sha256=${pod.fingerprint}`));
    expect(pod.stderr()).toMatch(/made a TLS key pair and a self-signed certificate: .*tls\.pem/);
    const file = join(dir, "self", "tls.pem");
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const client = new PodClient(`${pod.url}#sha256=${pod.fingerprint}`, TOKEN);
    expect(await client.health()).toEqual({ ok: true, busy: false });
    expect(await client.list()).toEqual([]);
    await expect(
      new PodClient(`${pod.url}#sha256=${other.fingerprint}`, TOKEN).list(),
    ).rejects.toMatchObject({ kind: "unauthorized" });
    // Plain HTTP to it is no way around: the TLS server does not speak it.
    await expect(
      new PodClient(pod.url.replace("https:", "http:"), TOKEN).health(),
    ).rejects.toBeInstanceOf(PodError);

    expect(await pod.stop()).toBe(0);
    const again = await start("self", ["--self-signed"]);
    expect(again.fingerprint).toBe(pod.fingerprint);
    await vi.waitFor(() => expect(again.stderr()).toContain(`#sha256=${pod.fingerprint}`));
    expect(again.stderr()).not.toMatch(/made a TLS key pair/);
    expect(readFileSync(file, "utf8")).toMatch(
      /^-----BEGIN PRIVATE KEY-----[\s\S]+-----END CERTIFICATE-----\n$/,
    );
    expect(await again.stop()).toBe(0);
  }, 90_000);

  it("serves a rental's key pair given by the environment, as a launch script passes it", async () => {
    const pod = await start("rental", [], podCredentialsEnv(creds));
    expect(pod.url).toMatch(/^https:/);
    expect(pod.fingerprint).toBe(creds.fingerprint);
    expect(await peerFingerprint(portOf(pod))).toBe(creds.fingerprint);
    expect(
      await new PodClient(`${pod.url}#sha256=${creds.fingerprint}`, creds.token).list(),
    ).toEqual([]);
    expect(await pod.stop()).toBe(0);
  }, 60_000);

  it("serves a key pair given as files", async () => {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    writeFileSync(key, other.keyPem);
    writeFileSync(cert, other.certPem);
    const pod = await start("files", ["--tls-cert", cert, "--tls-key", key]);
    expect(pod.fingerprint).toBe(other.fingerprint);
    expect(await peerFingerprint(portOf(pod))).toBe(other.fingerprint);
    expect(await pod.stop()).toBe(0);
  }, 60_000);

  it("serves plain HTTP on loopback, and says so", async () => {
    const pod = await start("plain", []);
    expect(pod.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect(pod.fingerprint).toBeNull();
    await vi.waitFor(() => expect(pod.stderr()).toMatch(/plain HTTP, on loopback only/));
    expect(await pod.stop()).toBe(0);
  }, 60_000);
});
