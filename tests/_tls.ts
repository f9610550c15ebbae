/**
 * FTPS test helpers: throwaway certificates made with the `openssl` CLI,
 * TLS fixtures, and an ftplib prelude for FTP_TLS drivers.
 *
 * @module
 */

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FtpServerOptions } from "../mod.ts";
import { run } from "./_clients.ts";
import { type Fixture, startFixture } from "./_fixture.ts";

/** A certificate and key on disk, and the certificate's PEM text. */
export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  /** The subject's common name, to recognise the certificate in a client. */
  readonly commonName: string;
}

/** Makes a self-signed EC certificate for `commonName` in a new temporary
 * folder (removed by {@link removeCertificate}). */
export async function makeCertificate(commonName: string): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), "tsftpd-cert-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const { code, stderr } = await run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", `/CN=${commonName}`,
  ]);
  if (code !== 0) throw new Error(`openssl req failed: ${stderr}`);
  return { certFile, keyFile, certPem: await readFile(certFile, "utf8"), commonName };
}

/** Removes a certificate's folder. */
export async function removeCertificate(certificate: TestCertificate): Promise<void> {
  await rm(join(certificate.certFile, ".."), { recursive: true, force: true });
}

/** A fixture with FTPS on (paths to `certificate`), plus `options`. */
export function startTlsFixture(
  certificate: TestCertificate,
  options: Partial<FtpServerOptions> = {},
): Promise<Fixture> {
  return startFixture({ tls: { cert: certificate.certFile, key: certificate.keyFile }, ...options });
}

/**
 * Python helpers for FTP_TLS drivers, to put after the `python()` prelude:
 * `tls_context(version)` (no verification; version "1.2", "1.3" or None),
 * `connect_tls(version, reuse=True, port=P["port"], implicit=False)` (logged
 * in, PROT P; data connections offer the control session when `reuse`), and
 * `data_reused`, the `session_reused` flags of every data connection.
 */
export const TLS_PRELUDE = `
import socket, ssl
data_reused = []

def tls_context(version=None, tickets=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if version:
        v = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[version]
        ctx.minimum_version = v
        ctx.maximum_version = v
    if not tickets:
        ctx.options |= ssl.OP_NO_TICKET
    return ctx

class ReusingFTP(ftplib.FTP_TLS):
    """Offers the control connection's session on data connections, as
    FileZilla and curl do (plain ftplib does not)."""
    reuse = True
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            session = self.sock.session if self.reuse else None
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
            data_reused.append(conn.session_reused)
        return conn, size

def connect_tls(version=None, reuse=True, port=None, tickets=True, prot_p=True):
    ftp = ReusingFTP(context=tls_context(version, tickets), encoding="utf-8")
    ftp.reuse = reuse
    ftp.connect("127.0.0.1", port or P["port"], timeout=60)
    ftp.login(P["user"], P["password"])
    if prot_p:
        ftp.prot_p()
    return ftp
`;
