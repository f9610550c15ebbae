/**
 * Listing formats: `ls -l` lines for LIST, facts for MLSD/MLST (RFC 3659),
 * and the timestamps MDTM uses.
 *
 * @module
 */

import type { FileStat } from "./fs/file_system.ts";

/** The MLSx facts tsftpd can give, in FEAT order.
 *
 * @example
 * ```ts
 * import { MLSX_FACTS } from "./listing.ts";
 * MLSX_FACTS.includes("size"); // true
 * ```
 */
export const MLSX_FACTS = ["type", "size", "modify", "perm", "unique", "unix.mode"] as const;

/** One MLSx fact name.
 *
 * @example
 * ```ts
 * import type { MlsxFact } from "./listing.ts";
 * const fact: MlsxFact = "modify";
 * ```
 */
export type MlsxFact = (typeof MLSX_FACTS)[number];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const SIX_MONTHS_MS = 180 * 24 * 3600 * 1000;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/**
 * `YYYYMMDDHHMMSS` in UTC, as MDTM and the MLSx `modify` fact want it.
 *
 * @example
 * ```ts
 * import { formatTimeVal } from "./listing.ts";
 * formatTimeVal(Date.UTC(2026, 10, 24, 10, 0, 0)); // "20261124100000"
 * ```
 */
export function formatTimeVal(ms: number): string {
  // Files in one folder often share their second; a listing of a thousand
  // of them then formats the time once.
  const second = Math.floor(ms / 1000);
  if (second === lastTimeVal.second) return lastTimeVal.text;
  const d = new Date(ms);
  const text = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  lastTimeVal = { second, text };
  return text;
}

let lastTimeVal = { second: NaN, text: "" };

/** `ls -l` mode strings, by type letter and permission bits (3 × 512 at
 * most), made once each rather than once per entry of every listing. */
const modeStrings: string[] = [];

function modeString(stat: FileStat): string {
  const type = stat.kind === "directory" ? 1 : stat.kind === "symlink" ? 2 : 0;
  const key = (type << 9) | (stat.mode & 0o777);
  let text = modeStrings[key];
  if (text === undefined) {
    text = "-dl"[type];
    for (let shift = 6; shift >= 0; shift -= 3) {
      const triple = (stat.mode >> shift) & 7;
      text += (triple & 4 ? "r" : "-") + (triple & 2 ? "w" : "-") + (triple & 1 ? "x" : "-");
    }
    modeStrings[key] = text;
  }
  return text;
}

/**
 * One `ls -l` line (without line end), the format every FTP client parses:
 * mode, links, owner, group, size, date (time of day within six months,
 * otherwise the year), name. Times are UTC.
 *
 * @example
 * ```ts
 * import { formatListLine } from "./listing.ts";
 * const stat = { kind: "file" as const, size: 5, mtimeMs: Date.UTC(2026, 10, 1, 9, 30), mode: 0o644 };
 * formatListLine("a.txt", stat, Date.UTC(2026, 10, 24));
 * // "-rw-r--r--   1 ftp      ftp             5 Nov 01 09:30 a.txt"
 * ```
 */
export function formatListLine(name: string, stat: FileStat, nowMs: number): string {
  const recent = nowMs - stat.mtimeMs < SIX_MONTHS_MS && stat.mtimeMs <= nowMs + SIX_MONTHS_MS;
  const size = String(stat.size);
  const line = linePrefix(stat) + (size.length < 8 ? SPACES.slice(size.length) + size : size) +
    ` ${listTime(stat.mtimeMs, recent)} ${name}`;
  return stat.kind === "symlink" && stat.linkTarget ? `${line} -> ${stat.linkTarget}` : line;
}

const SPACES = "        ";

/** Mode, links, owner and group, with their padding: the same for most
 * entries of a folder, so the last one is kept (padding and joining them
 * anew was most of the cost of a line). */
function linePrefix(stat: FileStat): string {
  const last = lastPrefix;
  if (
    stat.mode === last.mode && stat.kind === last.kind && stat.nlink === last.nlink &&
    stat.uid === last.uid && stat.gid === last.gid
  ) return last.text;
  const owner = String(stat.uid ?? "ftp").padEnd(8);
  const group = String(stat.gid ?? "ftp").padEnd(8);
  const text = `${modeString(stat)} ${String(stat.nlink ?? 1).padStart(3)} ${owner} ${group} `;
  lastPrefix = { mode: stat.mode, kind: stat.kind, nlink: stat.nlink, uid: stat.uid, gid: stat.gid, text };
  return text;
}

let lastPrefix: Pick<FileStat, "mode" | "kind" | "nlink" | "uid" | "gid"> & { text: string } = {
  mode: -1,
  kind: "other",
  text: "",
};

/** `Nov 24 10:00` for recent times, `Nov 24  2025` for others; the last one
 * is kept, as files in one folder often share their minute. */
function listTime(ms: number, recent: boolean): string {
  const minute = Math.floor(ms / 60_000);
  if (minute === lastListTime.minute && recent === lastListTime.recent) return lastListTime.text;
  const d = new Date(ms);
  const text = `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ` +
    (recent ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` : ` ${d.getUTCFullYear()}`);
  lastListTime = { minute, recent, text };
  return text;
}

let lastListTime = { minute: NaN, recent: false, text: "" };

/**
 * The `perm` fact (RFC 3659 §7.5.5) for what this user may do with the entry.
 *
 * @example
 * ```ts
 * import { permFact } from "./listing.ts";
 * permFact("file", "elr"); // "r"
 * permFact("directory", "elradfmw"); // "fcdelmp"
 * ```
 */
export function permFact(kind: FileStat["kind"], permissions: string): string {
  const has = (letter: string) => permissions.includes(letter);
  let fact = "";
  if (has("a") && kind !== "directory") fact += "a";
  if (has("f")) fact += "f";
  if (kind === "directory") {
    if (has("w")) fact += "c";
    if (has("d")) fact += "d";
    if (has("e")) fact += "e";
    if (has("l")) fact += "l";
    if (has("m")) fact += "m";
    if (has("d")) fact += "p";
  } else {
    if (has("d")) fact += "d";
    if (has("r")) fact += "r";
    if (has("w")) fact += "w";
  }
  return fact;
}

/**
 * The MLSx line for one entry (without line end): `fact=value;...` then a
 * space and the name. The facts appear in {@link MLSX_FACTS} order, whatever
 * the order of `options.facts` (RFC 3659 leaves the order to the server).
 *
 * @example
 * ```ts
 * import { formatMlsxLine } from "./listing.ts";
 * const stat = { kind: "file" as const, size: 5, mtimeMs: 0, mode: 0o644 };
 * formatMlsxLine("a.txt", stat, { facts: ["size", "type"], permissions: "elr" });
 * // "type=file;size=5; a.txt"
 * ```
 */
export function formatMlsxLine(
  name: string,
  stat: FileStat,
  options: { readonly facts: readonly MlsxFact[]; readonly permissions: string },
): string {
  // One expression rather than a loop over the facts: the lines of a
  // 1000-entry MLSD took JavaScriptCore 400-490 µs through the loop,
  // 250-260 so (V8 540-560 and 370-440).
  const on = factMask(options.facts);
  const unique = on & UNIQUE ? stat.unique : undefined;
  return (on & TYPE ? "type=" + typeFact(stat.kind) + ";" : "") +
    (on & SIZE ? "size=" + stat.size + ";" : "") +
    (on & MODIFY ? "modify=" + formatTimeVal(stat.mtimeMs) + ";" : "") +
    (on & PERM ? "perm=" + cachedPermFact(stat.kind, options.permissions) + ";" : "") +
    (unique !== undefined ? "unique=" + unique + ";" : "") +
    (on & UNIX_MODE ? "unix.mode=" + octalMode(stat.mode) + ";" : "") +
    " " + name;
}

/** Bits of {@link factMask}, one per fact of {@link MLSX_FACTS}, in order. */
const [TYPE, SIZE, MODIFY, PERM, UNIQUE, UNIX_MODE] = MLSX_FACTS.map((_, index) => 1 << index);

/** The facts chosen, as bits; the last list asked about is kept, as a
 * session asks with the same one for every entry. */
function factMask(facts: readonly MlsxFact[]): number {
  if (facts !== lastFacts.facts) {
    lastFacts = { facts, mask: facts.reduce((mask, fact) => mask | (1 << MLSX_FACTS.indexOf(fact)), 0) };
  }
  return lastFacts.mask;
}

let lastFacts: { readonly facts: readonly MlsxFact[]; readonly mask: number } = { facts: [], mask: 0 };

function typeFact(kind: FileStat["kind"]): string {
  return kind === "directory" ? "dir" : kind === "file" ? "file" : "OS.unix=symlink";
}

function octalMode(mode: number): string {
  return octalModes[mode & 0o7777] ??= "0" + (mode & 0o7777).toString(8);
}

const octalModes: string[] = [];

/** The last `perm` fact per kind: a listing asks for the same few again and
 * again. */
const lastPermFacts = new Map<FileStat["kind"], { readonly permissions: string; readonly fact: string }>();

function cachedPermFact(kind: FileStat["kind"], permissions: string): string {
  const last = lastPermFacts.get(kind);
  if (last?.permissions === permissions) return last.fact;
  const fact = permFact(kind, permissions);
  lastPermFacts.set(kind, { permissions, fact });
  return fact;
}
