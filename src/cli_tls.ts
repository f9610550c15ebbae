/**
 * The command-line flags of FTPS: `--tls`, the certificate, the policies and
 * the implicit port.
 *
 * @module
 */

import type { FtpsOptions } from "./tls.ts";

/** How to make a certificate, for the `--self-signed` error. */
const OPENSSL_COMMAND = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes " +
  "-keyout key.pem -out cert.pem -days 365 -subj /CN=localhost";

/** The flags, by long name: whether each takes a value, and its help line.
 *
 * @example
 * ```ts
 * import { TLS_FLAGS } from "./cli_tls.ts";
 * TLS_FLAGS["certfile"].value; // true
 * ```
 */
export const TLS_FLAGS: Readonly<Record<string, { readonly value: boolean; readonly help: string }>> = {
  "tls": { value: false, help: "                 offer FTPS (AUTH TLS); needs --certfile and --keyfile" },
  "certfile": { value: true, help: "FILE        certificate chain, PEM" },
  "keyfile": { value: true, help: "FILE         private key, PEM (unencrypted)" },
  "self-signed": { value: false, help: "         (not available: prints how to make a certificate)" },
  "tls-control-required": { value: false, help: "  refuse USER/PASS before AUTH TLS" },
  "tls-data-required": { value: false, help: "  refuse transfers unless PROT P" },
  "implicit-port": { value: true, help: "PORT    also serve implicit FTPS (TLS from the start) here" },
};

/** The `--help` lines of {@link TLS_FLAGS}.
 *
 * @example
 * ```ts
 * import { tlsUsage } from "./cli_tls.ts";
 * console.log(tlsUsage());
 * ```
 */
export function tlsUsage(): string {
  return Object.entries(TLS_FLAGS).map(([name, flag]) => `  --${name} ${flag.help}`).join("\n");
}

/**
 * Turns the values of {@link TLS_FLAGS} (by long name) into server options;
 * throws a one-line `Error` on a missing or inconsistent flag.
 * `--self-signed` is always an error: no runtime can make an X.509
 * certificate without a dependency, so the message gives the openssl
 * command instead.
 *
 * @example
 * ```ts
 * import { tlsOptions } from "./cli_tls.ts";
 * tlsOptions(new Map<string, string | true>([["tls", true], ["certfile", "c.pem"], ["keyfile", "k.pem"]]));
 * // { tls: { cert: "c.pem", key: "k.pem" } }
 * ```
 */
export function tlsOptions(values: ReadonlyMap<string, string | true>): FtpsOptions {
  if (values.has("self-signed")) {
    throw new Error(`--self-signed: no runtime can make a certificate without a dependency; make one with: ${OPENSSL_COMMAND}`);
  }
  const text = (name: string) => {
    const value = values.get(name);
    return typeof value === "string" ? value : undefined;
  };
  if (!values.has("tls")) {
    const stray = Object.keys(TLS_FLAGS).find((name) => values.has(name));
    if (stray) throw new Error(`--${stray} needs --tls`);
    return {};
  }
  const cert = text("certfile");
  const key = text("keyfile");
  if (cert === undefined || key === undefined) {
    throw new Error(`--tls needs --certfile and --keyfile; make a test certificate with: ${OPENSSL_COMMAND}`);
  }
  const options: { -readonly [K in keyof FtpsOptions]: FtpsOptions[K] } = { tls: { cert, key } };
  if (values.has("tls-control-required")) options.tlsControlRequired = true;
  if (values.has("tls-data-required")) options.tlsDataRequired = true;
  const port = text("implicit-port");
  if (port !== undefined) {
    const number = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
    if (!(number >= 0 && number <= 65535)) throw new Error(`--implicit-port must be a port number, got "${port}"`);
    options.implicitTlsPort = number;
  }
  return options;
}
