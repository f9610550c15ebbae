/**
 * FTP reply codes (RFC 959 §4.2 and its extensions) and reply formatting.
 *
 * @module
 */

/** Named FTP reply codes, so handlers read as prose instead of magic numbers.
 *
 * @example
 * ```ts
 * import { Reply, formatReply } from "./reply.ts";
 * formatReply(Reply.Ok, "Done."); // "200 Done.\r\n"
 * ```
 */
export const Reply = {
  FileStatusOk: 150,
  Ok: 200,
  NotNeeded: 202,
  SystemStatus: 211,
  FileStatus: 213,
  Help: 214,
  SystemType: 215,
  ServiceReady: 220,
  Goodbye: 221,
  DataOpenNoTransfer: 225,
  TransferComplete: 226,
  EnteringPassive: 227,
  EnteringExtendedPassive: 229,
  LoggedIn: 230,
  AuthAccepted: 234,
  FileActionOk: 250,
  PathCreated: 257,
  NeedPassword: 331,
  PendingFurtherInfo: 350,
  ServiceUnavailable: 421,
  CantOpenData: 425,
  TransferAborted: 426,
  FileUnavailableBusy: 450,
  LocalError: 451,
  InsufficientStorage: 452,
  SyntaxError: 500,
  ArgumentSyntaxError: 501,
  NotImplemented: 502,
  BadSequence: 503,
  NotImplementedForParameter: 504,
  NetworkProtocolNotSupported: 522,
  /** RFC 4217 §10: the data connection's TLS negotiation failed. */
  TlsDataFailed: 522,
  NotLoggedIn: 530,
  PolicyDenied: 534,
  ProtectionLevelNotSupported: 536,
  FileUnavailable: 550,
  StorageExceeded: 552,
  BadFileName: 553,
  RestartInvalid: 554,
} as const;

/** One of the numeric codes in {@link Reply}.
 *
 * @example
 * ```ts
 * import { Reply, type ReplyCode } from "./reply.ts";
 * const code: ReplyCode = Reply.FileActionOk;
 * ```
 */
export type ReplyCode = (typeof Reply)[keyof typeof Reply];

const encoder = new TextEncoder();

/**
 * Formats a reply as it goes on the wire. Text with several lines becomes an
 * RFC 959 multi-line reply (`code-first`, ` middle`, `code last`); each middle
 * line is indented by one space so that none can be mistaken for the closing
 * line. CR and LF never appear inside a line.
 *
 * @example
 * ```ts
 * import { formatReply } from "./reply.ts";
 * formatReply(211, ["Features:", "SIZE", "End"]);
 * // "211-Features:\r\n SIZE\r\n211 End\r\n"
 * ```
 */
export function formatReply(code: number, text: string | readonly string[]): string {
  const lines = (typeof text === "string" ? text.split("\n") : text).map((line) =>
    line.replace(/[\r\n]/g, " ")
  );
  if (lines.length === 1) return `${code} ${lines[0]}\r\n`;
  const last = lines.length - 1;
  let out = `${code}-${lines[0]}\r\n`;
  for (let i = 1; i < last; i++) out += ` ${lines[i]}\r\n`;
  return out + `${code} ${lines[last]}\r\n`;
}

/** {@link formatReply}, encoded as UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { encodeReply } from "./reply.ts";
 * encodeReply(200, "OK").length; // 8
 * ```
 */
export function encodeReply(code: number, text: string | readonly string[]): Uint8Array {
  return encoder.encode(formatReply(code, text));
}

/** Quotes a path for a 257 reply (RFC 959 appendix II: embedded quotes are
 * doubled).
 *
 * @example
 * ```ts
 * import { quotePath } from "./reply.ts";
 * quotePath('/say "hi"'); // '"/say ""hi"""'
 * ```
 */
export function quotePath(path: string): string {
  return `"${path.replaceAll('"', '""')}"`;
}
