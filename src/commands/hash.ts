/**
 * HASH and OPTS HASH (draft-bryan-ftpext-hash-02) and the older
 * XCRC/XMD5/XSHA1/XSHA256/XSHA512 forms: a checksum of a stored file, so
 * that a client can verify a transfer without downloading the file again.
 * Files are streamed through an incremental hash, never held in memory.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { createHasher, HASH_ALGORITHMS, type HashAlgorithm, toHex } from "../hash/mod.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";

async function hashFile(
  session: Session,
  path: string,
  algorithm: HashAlgorithm,
): Promise<{ readonly hex: string; readonly size: number }> {
  const stat = await session.fs.stat(path);
  if (stat.kind !== "file") throw new FtpError(Reply.FileUnavailable, "Not a regular file.");
  const source = await session.fs.read(path, 0);
  const hasher = createHasher(algorithm);
  let size = 0;
  try {
    for (let chunk = await source.read(); chunk; chunk = await source.read()) {
      hasher.update(chunk);
      size += chunk.length;
    }
  } finally {
    await source.close();
  }
  return { hex: toHex(hasher.digest()), size };
}

async function hash(session: Session, argument: string): Promise<void> {
  const path = session.resolve(argument);
  const algorithm = session.hashAlgorithm;
  const { hex, size } = await hashFile(session, path, algorithm);
  await session.reply(Reply.FileStatus, `${algorithm} 0-${size} ${hex} ${path}`);
}

function legacy(algorithm: HashAlgorithm): (session: Session, argument: string) => Promise<void> {
  return async (session, argument) => {
    const { hex } = await hashFile(session, session.resolve(argument), algorithm);
    await session.reply(Reply.FileActionOk, algorithm === "CRC32" ? hex.toUpperCase() : hex);
  };
}

/**
 * OPTS HASH: without a value it names the selected algorithm, with one it
 * selects it (504 for an unknown one).
 *
 * @example
 * ```ts
 * import { optsHash } from "./hash.ts";
 * import type { Session } from "../session.ts";
 * declare const session: Session;
 * await optsHash(session, "SHA-512"); // 200 SHA-512
 * ```
 */
export async function optsHash(session: Session, value: string): Promise<void> {
  if (value !== "") {
    const algorithm = HASH_ALGORITHMS.find((name) => name === value.toUpperCase());
    if (!algorithm) throw new FtpError(Reply.NotImplementedForParameter, "Unknown hash algorithm.");
    session.hashAlgorithm = algorithm;
  }
  await session.reply(Reply.Ok, session.hashAlgorithm);
}

function hashFeature(session: Session): readonly string[] {
  return [`HASH ${HASH_ALGORITHMS.map((name) => (name === session.hashAlgorithm ? `${name}*` : name)).join(";")}`];
}

const LEGACY: readonly [string, HashAlgorithm][] = [
  ["XCRC", "CRC32"],
  ["XMD5", "MD5"],
  ["XSHA1", "SHA-1"],
  ["XSHA256", "SHA-256"],
  ["XSHA512", "SHA-512"],
];

/** HASH and the XCRC/XMD5/XSHA1/XSHA256/XSHA512 commands.
 *
 * @example
 * ```ts
 * import { hashCommands } from "./hash.ts";
 * hashCommands.map((spec) => spec.verb).includes("XMD5"); // true
 * ```
 */
export const hashCommands: readonly CommandSpec[] = [
  {
    verb: "HASH",
    login: true,
    argument: "required",
    permission: "r",
    syntax: "HASH <path> (checksum of a file; OPTS HASH selects the algorithm)",
    features: hashFeature,
    handle: hash,
  },
  ...LEGACY.map(([verb, algorithm]): CommandSpec => ({
    verb,
    login: true,
    argument: "required",
    permission: "r",
    syntax: `${verb} <path> (${algorithm} of a file)`,
    features: [verb],
    handle: legacy(algorithm),
  })),
];
