/**
 * A throwaway self-signed certificate for the FTPS benchmark scenarios.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { join } from "node:path";

/**
 * Writes `cert.pem` and `key.pem` (P-256, valid two days) into `folder` with
 * `openssl`, and returns their paths.
 *
 * @example
 * ```ts
 * import { makeCertificate } from "./_certificate.ts";
 * const { cert, key } = makeCertificate("/tmp");
 * ```
 */
export function makeCertificate(folder: string): { cert: string; key: string } {
  const cert = join(folder, "cert.pem");
  const key = join(folder, "key.pem");
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    "/CN=localhost",
  ], { stdio: "ignore" });
  return { cert, key };
}
