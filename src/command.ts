/**
 * What a command is to the dispatcher: its verb, what it needs, its help
 * text and its handler. FEAT and HELP are derived from these, so they cannot
 * disagree with what is implemented.
 *
 * @module
 */

import type { Permission, UserAccount } from "./authorizer.ts";
import { FtpError } from "./errors.ts";
import type { FileSystem } from "./fs/file_system.ts";
import type { LogLevel } from "./logger.ts";
import type { SocketAddress } from "./port.ts";
import { Reply } from "./reply.ts";
import type { Session } from "./session.ts";

/** A command's definition.
 *
 * @example
 * ```ts
 * import type { CommandSpec } from "./command.ts";
 * const noop: CommandSpec = {
 *   verb: "NOOP",
 *   login: false,
 *   argument: "none",
 *   syntax: "NOOP (do nothing)",
 *   handle: (session) => session.reply(200, "OK."),
 * };
 * ```
 */
export interface CommandSpec {
  /** The verb, upper case. */
  readonly verb: string;
  /** Other verbs for the same command (RFC 775's X-forms). */
  readonly aliases?: readonly string[];
  /** Whether the client must be logged in. */
  readonly login: boolean;
  /** Whether an argument is refused, needed or optional. */
  readonly argument: "none" | "required" | "optional";
  /** The permission letter checked before the handler runs, on the path
   * the argument names (the working folder for commands without one, unless
   * `path` names another). */
  readonly permission?: Permission;
  /** The part of the argument that names the path `permission` is checked
   * on, for commands whose argument holds more (`SITE CHMOD 644 a.txt`);
   * default the whole argument. */
  readonly path?: (argument: string) => string;
  /** Recognised only to refuse it honestly (502), so HELP leaves it out:
   * HELP lists what is implemented. */
  readonly hidden?: boolean;
  /** One line for HELP: the syntax and what it does. */
  readonly syntax: string;
  /** Lines this command adds to FEAT (a function when they depend on the
   * session, as MLST's selected facts do). */
  readonly features?: readonly string[] | ((session: Session) => readonly string[]);
  /** Serves the command; throw an `FtpError` (or a file-system error) to
   * refuse. */
  handle(session: Session, argument: string): Promise<void>;
}

/**
 * Indexes specs by verb and alias. Later specs replace earlier ones with the
 * same verb, so a user's command can override a built-in one.
 *
 * @example
 * ```ts
 * import { commandTable } from "./command.ts";
 * import { builtinCommands } from "./commands/mod.ts";
 * const table = commandTable(builtinCommands);
 * table.get("XPWD")?.verb; // "PWD"
 * ```
 */
export function commandTable(specs: readonly CommandSpec[]): ReadonlyMap<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  for (const spec of specs) {
    table.set(spec.verb, spec);
    for (const alias of spec.aliases ?? []) table.set(alias, spec);
  }
  return table;
}

/**
 * Serves `argument` with `spec` after the checks every command shares:
 * login, argument presence, permission on the path. Throws an `FtpError`
 * for a refusal.
 *
 * @example
 * ```ts
 * import { runCommand } from "./command.ts";
 * import { builtinCommands } from "./commands/mod.ts";
 * import type { Session } from "./session.ts";
 * declare const session: Session;
 * await runCommand(session, builtinCommands.find((spec) => spec.verb === "NOOP")!, "");
 * ```
 */
export async function runCommand(session: Session, spec: CommandSpec, argument: string): Promise<void> {
  if (spec.login && !session.user) {
    throw new FtpError(Reply.NotLoggedIn, "Log in with USER and PASS first.");
  }
  if (spec.argument === "none" && argument.trim() !== "") {
    throw new FtpError(Reply.ArgumentSyntaxError, `${spec.verb} takes no argument.`);
  }
  if (spec.argument === "required" && argument.trim() === "") {
    throw new FtpError(Reply.ArgumentSyntaxError, `${spec.verb} needs an argument.`);
  }
  if (spec.permission) {
    // `argument` is "" here for commands that take none: the working folder.
    const target = session.resolve(spec.path ? spec.path(argument) : argument);
    if (!session.can(spec.permission, target)) throw new FtpError(Reply.FileUnavailable, "Permission denied.");
  }
  await spec.handle(session, spec.argument === "none" ? "" : argument);
}

/**
 * What a custom command's handler may use of the session serving it.
 *
 * @example
 * ```ts
 * import type { CommandSession } from "../mod.ts";
 * async function whoami(session: CommandSession): Promise<void> {
 *   await session.reply(200, `You are ${session.user?.account.username ?? "nobody"}.`);
 * }
 * ```
 */
export interface CommandSession {
  /** Unique while the program runs; the `session.id` hooks see. */
  readonly id: number;
  /** The client's end of the control connection. */
  readonly remoteAddress: SocketAddress;
  /** The server address the client reached. */
  readonly localAddress: SocketAddress;
  /** The virtual working folder (`/docs`). */
  readonly cwd: string;
  /** The logged-in user and their storage; `null` before login. */
  readonly user: { readonly account: UserAccount; readonly fs: FileSystem } | null;
  /** The logged-in user's storage; throws a 530 `FtpError` before login. */
  readonly fs: FileSystem;
  /** Sends a reply: one line, or several as a multi-line reply. */
  reply(code: number, text: string | readonly string[]): Promise<void>;
  /** The virtual absolute path an argument names, relative to `cwd`;
   * throws a 501 `FtpError` for names with CR, LF or NUL. */
  resolve(argument: string): string;
  /** Whether the user holds `permission` on `path` (default `cwd`). */
  can(permission: Permission, path?: string): boolean;
  /** Logs a line tagged with this session. */
  log(level: LogLevel, message: string): void;
}

/**
 * A command added to the server (a new verb, or a `SITE` subcommand). Its
 * checks run before `handle`: login (default required), argument presence,
 * and `permission` on the path the argument names. To refuse, throw an
 * `FtpError` with the reply code; anything else thrown becomes a logged 451.
 *
 * @example
 * ```ts
 * import { type CustomCommand, FtpError, FtpServer, MemoryFileSystem } from "../mod.ts";
 * const checksum: CustomCommand = {
 *   verb: "SUMS",
 *   argument: "required",
 *   permission: "r",
 *   syntax: "SITE SUMS <path> (byte count of a file)",
 *   async handle(session, argument) {
 *     const stat = await session.fs.stat(session.resolve(argument));
 *     if (stat.kind !== "file") throw new FtpError(550, "Not a file.");
 *     await session.reply(200, `${stat.size} bytes.`);
 *   },
 * };
 * const server = new FtpServer({ fs: new MemoryFileSystem(), siteCommands: [checksum] });
 * ```
 */
export interface CustomCommand {
  /** The verb (or SITE subcommand), case-insensitive. */
  readonly verb: string;
  /** Other names for it. */
  readonly aliases?: readonly string[];
  /** Whether the client must be logged in; default `true`. */
  readonly login?: boolean;
  /** Whether an argument is refused, needed or optional; default
   * `optional`. */
  readonly argument?: "none" | "required" | "optional";
  /** The permission letter needed on the path the argument names. */
  readonly permission?: Permission;
  /** The part of the argument that is the path; default all of it. */
  readonly path?: (argument: string) => string;
  /** One line for HELP (or SITE HELP): syntax and what it does. */
  readonly syntax: string;
  /** Lines it adds to FEAT. */
  readonly features?: readonly string[];
  /** Serves the command; must send the reply. */
  handle(session: CommandSession, argument: string): void | Promise<void>;
}

/**
 * The spec the dispatcher runs for a custom command.
 *
 * @example
 * ```ts
 * import { customCommandSpec } from "./command.ts";
 * const spec = customCommandSpec({ verb: "hi", syntax: "HI (greet)", handle: (s) => s.reply(200, "Hi.") });
 * spec.verb; // "HI"
 * ```
 */
export function customCommandSpec(command: CustomCommand): CommandSpec {
  return {
    verb: command.verb.toUpperCase(),
    aliases: command.aliases?.map((alias) => alias.toUpperCase()),
    login: command.login ?? true,
    argument: command.argument ?? "optional",
    permission: command.permission,
    path: command.path,
    syntax: command.syntax,
    features: command.features,
    handle: async (session, argument) => await command.handle(session, argument),
  };
}
