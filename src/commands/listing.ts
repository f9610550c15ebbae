/**
 * LIST, NLST (RFC 959) and MLSD, MLST (RFC 3659).
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import type { ListEntry } from "../fs/file_system.ts";
import { formatListLine, formatMlsxLine, MLSX_FACTS, type MlsxFact } from "../listing.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";
import { sendBytesJob } from "../transfer_jobs.ts";

const encoder = new TextEncoder();

/** `ls` flags clients send with LIST (`-a`, `-la`, ...); they are not names. */
const LS_FLAGS = /^-[aAlLRrtdhF1]+$/;

/**
 * The argument of LIST, NLST or STAT without leading `ls` flags.
 *
 * @example
 * ```ts
 * import { stripLsFlags } from "./listing.ts";
 * stripLsFlags("-la docs"); // "docs"
 * ```
 */
export function stripLsFlags(argument: string): string {
  const words = argument.split(" ");
  while (words.length > 0 && LS_FLAGS.test(words[0])) words.shift();
  return words.join(" ");
}

/** The entries `argument` names: a folder's children sorted by name, or the
 * one file itself. */
async function entriesAt(
  session: Session,
  argument: string,
): Promise<{ readonly path: string; readonly isDirectory: boolean; readonly entries: ListEntry[] }> {
  const path = session.resolve(argument);
  const stat = await session.fs.stat(path);
  if (stat.kind !== "directory") return { path, isDirectory: false, entries: [{ name: path.slice(path.lastIndexOf("/") + 1), stat }] };
  const entries = await session.fs.list(path);
  return { path, isDirectory: true, entries: sortByName(entries) };
}

/**
 * Sorts entries by name, in code-unit order (as `ls` in the C locale), in
 * place; returns them.
 *
 * @example
 * ```ts
 * import { sortByName } from "./listing.ts";
 * import type { ListEntry } from "../fs/file_system.ts";
 * declare const entries: ListEntry[];
 * sortByName(entries)[0]?.name;
 * ```
 */
export function sortByName(entries: ListEntry[]): ListEntry[] {
  // File systems that list in order already (LocalFileSystem) cost one pass.
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1].name > entries[i].name) {
      return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
  }
  return entries;
}

/**
 * `ls -l` lines for what `argument` names (LIST, STAT with a path), and the
 * path they describe.
 *
 * @example
 * ```ts
 * import { listLines } from "./listing.ts";
 * import type { Session } from "../session.ts";
 * declare const session: Session;
 * const { path, lines } = await listLines(session, "-la /");
 * ```
 */
export async function listLines(
  session: Session,
  argument: string,
): Promise<{ readonly path: string; readonly lines: string[] }> {
  const { path, entries } = await entriesAt(session, stripLsFlags(argument));
  const now = Date.now();
  return { path, lines: entries.map((entry) => formatListLine(entry.name, entry.stat, now)) };
}

function linesToBytes(lines: readonly string[]): Uint8Array {
  return encoder.encode(lines.length === 0 ? "" : lines.join("\r\n") + "\r\n");
}

async function list(session: Session, argument: string): Promise<void> {
  await session.startTransfer(async () => {
    const { path, lines } = await listLines(session, argument);
    return sendBytesJob(`LIST ${path}`, linesToBytes(lines));
  });
}

async function nlst(session: Session, argument: string): Promise<void> {
  await session.startTransfer(async () => {
    const { path, entries } = await entriesAt(session, stripLsFlags(argument));
    return sendBytesJob(`NLST ${path}`, linesToBytes(entries.map((entry) => entry.name)));
  });
}

async function mlsd(session: Session, argument: string): Promise<void> {
  await session.startTransfer(async () => {
    const { path, isDirectory, entries } = await entriesAt(session, argument);
    if (!isDirectory) throw new FtpError(Reply.FileUnavailable, "Not a directory.");
    const facts = session.mlstFacts;
    // Without folder overrides every entry has the account's own letters:
    // no path to build and look up per entry.
    const uniform = { facts, permissions: session.permissionsAt(path) };
    const perEntry = session.user?.account.permissionOverrides?.length ?? 0;
    const folder = path === "/" ? "" : path;
    const lines = entries.map((entry) =>
      formatMlsxLine(
        entry.name,
        entry.stat,
        perEntry ? { facts, permissions: session.permissionsAt(`${folder}/${entry.name}`) } : uniform,
      )
    );
    return sendBytesJob(`MLSD ${path}`, linesToBytes(lines));
  });
}

async function mlst(session: Session, argument: string): Promise<void> {
  const path = session.resolve(argument);
  const stat = await session.fs.stat(path);
  const options = { facts: session.mlstFacts, permissions: session.permissionsAt(path) };
  // TVFS: the pathname in the fact line is the full virtual path.
  await session.reply(Reply.FileActionOk, [`Listing ${path}`, formatMlsxLine(path, stat, options), "End."]);
}

function mlstFeature(session: Session): readonly string[] {
  const chosen = new Set<MlsxFact>(session.mlstFacts);
  return [`MLST ${MLSX_FACTS.map((fact) => `${fact}${chosen.has(fact) ? "*" : ""};`).join("")}`];
}

/** LIST, NLST, MLSD and MLST.
 *
 * @example
 * ```ts
 * import { listingCommands } from "./listing.ts";
 * listingCommands.every((spec) => spec.permission === "l"); // true
 * ```
 */
export const listingCommands: readonly CommandSpec[] = [
  { verb: "LIST", login: true, argument: "optional", permission: "l", path: stripLsFlags, syntax: "LIST [<path>] (long listing)", handle: list },
  { verb: "NLST", login: true, argument: "optional", permission: "l", path: stripLsFlags, syntax: "NLST [<path>] (name listing)", handle: nlst },
  {
    verb: "MLSD",
    login: true,
    argument: "optional",
    permission: "l",
    syntax: "MLSD [<path>] (machine listing of a directory)",
    handle: mlsd,
  },
  {
    verb: "MLST",
    login: true,
    argument: "optional",
    permission: "l",
    syntax: "MLST [<path>] (machine listing of one entry)",
    features: mlstFeature,
    handle: mlst,
  },
];
