/**
 * FTPS (RFC 4217) settings and the TLS steps of a session: the server's
 * options, loading the certificate, and protecting data connections.
 *
 * @module
 */

import { FtpError } from "./errors.ts";
import type { Connection, Runtime, TlsContext } from "./port.ts";
import { Reply } from "./reply.ts";
import type { Session } from "./session.ts";
import { closeIfSlow } from "./timeouts.ts";

/** Whether a PROT P data connection must resume the control connection's
 * TLS session: `off` offers no resumption at all, `allow` accepts either,
 * `require` refuses (425) a data connection that does not resume, as vsftpd
 * and proftpd do by default, so that a third party can't hijack the data
 * port.
 *
 * @example
 * ```ts
 * import type { TlsSessionReuse } from "./tls.ts";
 * const reuse: TlsSessionReuse = "require";
 * ```
 */
export type TlsSessionReuse = "off" | "allow" | "require";

/** A certificate and its key, each as PEM text or the path of a PEM file.
 *
 * @example
 * ```ts
 * import type { TlsCertificate } from "./tls.ts";
 * const certificate: TlsCertificate = { cert: "/etc/tsftpd/cert.pem", key: "/etc/tsftpd/key.pem" };
 * ```
 */
export interface TlsCertificate {
  /** The certificate chain: PEM text, or a path to it. */
  readonly cert: string;
  /** The unencrypted private key: PEM text, or a path to it. */
  readonly key: string;
  /** Lowest TLS version accepted; default `TLSv1.2`. */
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
}

/** The FTPS options of an `FtpServer`.
 *
 * @example
 * ```ts
 * import type { FtpsOptions } from "./tls.ts";
 * const options: FtpsOptions = {
 *   tls: { cert: "cert.pem", key: "key.pem" },
 *   tlsControlRequired: true,
 *   tlsDataRequired: true,
 *   implicitTlsPort: 990,
 * };
 * ```
 */
export interface FtpsOptions {
  /** Turns FTPS on: AUTH TLS, PBSZ and PROT (and `implicitTlsPort`). */
  readonly tls?: TlsCertificate;
  /** Refuse USER and PASS (534) until the control connection is
   * encrypted; default false. */
  readonly tlsControlRequired?: boolean;
  /** Refuse transfers and listings (534) unless PROT P is set; default
   * false. */
  readonly tlsDataRequired?: boolean;
  /** See {@link TlsSessionReuse}; default `allow`. */
  readonly tlsSessionReuse?: TlsSessionReuse;
  /** Also listen here for implicit FTPS (TLS from the first byte, port 990
   * style), on the same host; 0 lets the system choose. */
  readonly implicitTlsPort?: number;
}

/** The server-wide TLS state a session reads.
 *
 * @example
 * ```ts
 * import type { TlsSettings } from "./tls.ts";
 * function strict(settings: TlsSettings): boolean {
 *   return settings.controlRequired && settings.dataRequired;
 * }
 * ```
 */
export interface TlsSettings {
  /** The context new connections get; replaced by a certificate reload. */
  context: TlsContext;
  readonly controlRequired: boolean;
  readonly dataRequired: boolean;
  readonly sessionReuse: TlsSessionReuse;
}

/** A session's own TLS state.
 *
 * @example
 * ```ts
 * import type { SessionTls } from "./tls.ts";
 * const plain: SessionTls = { control: null, pbsz: false, protectData: false };
 * ```
 */
export interface SessionTls {
  /** The context the control connection was upgraded with (its data
   * connections use the same one, to resume its session); `null` while the
   * control connection is plain. */
  control: TlsContext | null;
  /** PBSZ was sent (RFC 4217 wants it before PROT). */
  pbsz: boolean;
  /** PROT P: data connections are encrypted. */
  protectData: boolean;
}

const decoder = new TextDecoder();

/** PEM text as given, or read from the file it names. */
async function pemText(runtime: Runtime, value: string, what: string): Promise<string> {
  if (value.includes("-----BEGIN ")) return value;
  let source;
  try {
    source = await runtime.files.openRead(value, 0);
  } catch (error) {
    throw new Error(`can't read the TLS ${what} file "${value}": ${(error as Error).message}`);
  }
  const parts: Uint8Array[] = [];
  try {
    for (let chunk = await source.read(); chunk; chunk = await source.read()) parts.push(chunk.slice());
  } finally {
    await source.close();
  }
  return parts.map((part) => decoder.decode(part, { stream: true })).join("") + decoder.decode();
}

/**
 * Loads a certificate and key (PEM text or paths) into a runtime context.
 * Rejects with a one-line message when a file can't be read or the PEM is
 * not a valid certificate and matching key.
 *
 * @example
 * ```ts
 * import { createTlsContextFrom } from "./tls.ts";
 * import { loadRuntime } from "./runtime/load.ts";
 * const runtime = await loadRuntime();
 * const context = await createTlsContextFrom(runtime, { cert: "cert.pem", key: "key.pem" }, "allow");
 * ```
 */
export async function createTlsContextFrom(
  runtime: Runtime,
  certificate: TlsCertificate,
  sessionReuse: TlsSessionReuse,
): Promise<TlsContext> {
  const cert = await pemText(runtime, certificate.cert, "certificate");
  const key = await pemText(runtime, certificate.key, "key");
  try {
    return runtime.createTlsContext({
      cert,
      key,
      minVersion: certificate.minVersion ?? "TLSv1.2",
      resumption: sessionReuse !== "off",
    });
  } catch (error) {
    throw new Error(`invalid TLS certificate or key: ${(error as Error).message}`);
  }
}

/** Commands that open a data connection. */
const DATA_VERBS = new Set(["LIST", "NLST", "MLSD", "RETR", "STOR", "STOU", "APPE"]);

/**
 * Refuses what the TLS policy forbids before a command runs: logging in on
 * a plain control connection (`tlsControlRequired`) and plain data
 * connections (`tlsDataRequired`).
 *
 * @example
 * ```ts
 * import { enforceTlsPolicy } from "./tls.ts";
 * import type { Session } from "./session.ts";
 * declare const session: Session;
 * enforceTlsPolicy(session, "USER"); // throws a 534 FtpError on a plain connection when TLS is required
 * ```
 */
export function enforceTlsPolicy(session: Session, verb: string): void {
  const settings = session.context.tls;
  if (!settings) return;
  if (settings.controlRequired && !session.tls.control && (verb === "USER" || verb === "PASS")) {
    throw new FtpError(Reply.PolicyDenied, "TLS required on the control connection; use AUTH TLS first.");
  }
  if (settings.dataRequired && !session.tls.protectData && DATA_VERBS.has(verb)) {
    throw new FtpError(Reply.PolicyDenied, "TLS required on the data connection; use PBSZ 0 and PROT P first.");
  }
}

/**
 * The connection a transfer uses: `plain` itself, or after PROT P the same
 * connection after a TLS handshake with the control connection's context.
 * A failed handshake is a 522 (the control connection stays usable); a
 * data connection that does not resume the control session when
 * `tlsSessionReuse` is `require` is a 425.
 *
 * @example
 * ```ts
 * import { protectDataConnection } from "./tls.ts";
 * import type { Connection } from "./port.ts";
 * import type { Session } from "./session.ts";
 * declare const session: Session, plain: Connection;
 * const data = await protectDataConnection(session, plain);
 * ```
 */
export async function protectDataConnection(session: Session, plain: Connection): Promise<Connection> {
  const context = session.tls.control;
  if (!session.tls.protectData || !context) return plain;
  let secure;
  try {
    const { runtime, security } = session.context;
    secure = await closeIfSlow(runtime.upgradeTls(plain, context), plain, security.tlsHandshakeTimeoutMs, "TLS handshake");
  } catch (error) {
    session.log("warn", `TLS handshake on the data connection failed: ${(error as Error).message}`);
    throw new FtpError(Reply.TlsDataFailed, "TLS handshake on the data connection failed.");
  }
  if (session.context.tls?.sessionReuse === "require" && !secure.sessionReused) {
    // A clean TLS close, so the client's unwrap() succeeds and it reads the
    // reply instead of failing on a broken connection.
    await secure.closeWrite().catch(() => {});
    secure.close();
    session.log("warn", "Refused a data connection that did not resume the control connection's TLS session.");
    throw new FtpError(
      Reply.CantOpenData,
      "Data connection refused: it must resume the TLS session of the control connection.",
    );
  }
  return secure;
}
