/**
 * Hooks: functions an embedding application gives the server to hear about
 * what its sessions do (pyftpdlib's `on_login`, `on_file_received`, ...).
 *
 * @module
 */

import type { FileSystem } from "./fs/file_system.ts";
import type { SocketAddress } from "./port.ts";

/** The session an event is about, as it was when the event fired.
 *
 * @example
 * ```ts
 * import type { SessionInfo } from "./hooks.ts";
 * const info: SessionInfo = {
 *   id: 1,
 *   remoteAddress: { address: "127.0.0.1", port: 50000, family: "IPv4" },
 *   localAddress: { address: "127.0.0.1", port: 2121, family: "IPv4" },
 * };
 * ```
 */
export interface SessionInfo {
  /** Unique while the program runs; the same for every event of one
   * connection. */
  readonly id: number;
  /** The client's end of the control connection. */
  readonly remoteAddress: SocketAddress;
  /** The server address the client reached. */
  readonly localAddress: SocketAddress;
  /** The logged-in user, if any. */
  readonly username?: string;
}

/** A session starting or ending.
 *
 * @example
 * ```ts
 * import type { SessionEvent } from "./hooks.ts";
 * const onConnect = (event: SessionEvent) => console.log(event.session.remoteAddress.address);
 * ```
 */
export interface SessionEvent {
  /** Who the event is about. */
  readonly session: SessionInfo;
}

/** A login, a failed login or a logout.
 *
 * @example
 * ```ts
 * import type { LoginEvent } from "./hooks.ts";
 * const onLogin = (event: LoginEvent) => console.log(`${event.username} is in`);
 * ```
 */
export interface LoginEvent extends SessionEvent {
  /** The name as sent with USER. */
  readonly username: string;
}

/** A finished file transfer (RETR, STOR, APPE).
 *
 * @example
 * ```ts
 * import type { FileTransferEvent } from "./hooks.ts";
 * const onFileReceived = (event: FileTransferEvent) => console.log(`${event.path}: ${event.bytes} bytes`);
 * ```
 */
export interface FileTransferEvent extends SessionEvent {
  /** The file's virtual path, as the user sees it (`/docs/a.pdf`). */
  readonly path: string;
  /** The user's storage holding `path`, e.g. to read an upload back. */
  readonly fs: FileSystem;
  /** Bytes moved over the data connection. */
  readonly bytes: number;
  /** How long the transfer took, in milliseconds. */
  readonly durationMs: number;
}

/** A file transfer that did not complete.
 *
 * @example
 * ```ts
 * import type { IncompleteTransferEvent } from "./hooks.ts";
 * const onIncompleteFileReceived = (event: IncompleteTransferEvent) =>
 *   console.log(`${event.path}: ${event.bytes} bytes, then ${event.code} ${event.reason}`);
 * ```
 */
export interface IncompleteTransferEvent extends FileTransferEvent {
  /** The reply code the client got instead of 226 (426, 451, 452, ...). */
  readonly code: number;
  /** Why, as the reply's text (`Transfer aborted.`). */
  readonly reason: string;
}

/** A command line received (PASS's argument is masked).
 *
 * @example
 * ```ts
 * import type { CommandEvent } from "./hooks.ts";
 * const onCommand = (event: CommandEvent) => console.log(event.verb, event.argument);
 * ```
 */
export interface CommandEvent extends SessionEvent {
  /** The verb, upper case (`RETR`). */
  readonly verb: string;
  /** The rest of the line; `******` for PASS. */
  readonly argument: string;
}

/** A reply sent.
 *
 * @example
 * ```ts
 * import type { ReplyEvent } from "./hooks.ts";
 * const onReply = (event: ReplyEvent) => console.log(event.code, event.lines.join(" | "));
 * ```
 */
export interface ReplyEvent extends SessionEvent {
  /** The reply code (`226`). */
  readonly code: number;
  /** The reply's text, one entry per line, without codes and line ends. */
  readonly lines: readonly string[];
}

/** What a hook may return: nothing, or a promise of nothing.
 *
 * @example
 * ```ts
 * import type { HookResult } from "./hooks.ts";
 * const later: HookResult = Promise.resolve();
 * ```
 */
export type HookResult = void | Promise<void>;

/**
 * Functions called when things happen in a session; every one is optional.
 *
 * A hook may be synchronous or async. The session never waits for it: it
 * is called as the event happens and the session goes on serving the client
 * (a session's end waits for its hooks still running, so `onDisconnect`
 * comes last). A hook that throws or rejects is logged as an error and
 * changes nothing else. The file hooks fire after the reply to the
 * transfer; `onFileReceived` only once the file is complete on storage.
 * `onLogout` fires on QUIT, REIN and USER while logged in, not when the
 * client just drops the connection (as in pyftpdlib).
 *
 * @example
 * ```ts
 * import { FtpServer, MemoryFileSystem, type ServerHooks } from "../mod.ts";
 * const hooks: ServerHooks = {
 *   onLogin: ({ username, session }) => console.log(`${username} from ${session.remoteAddress.address}`),
 *   onFileReceived: async ({ path, bytes }) => {
 *     await fetch("https://example.com/uploaded", { method: "POST", body: `${path} ${bytes}` });
 *   },
 * };
 * const server = new FtpServer({ fs: new MemoryFileSystem(), hooks });
 * ```
 */
export interface ServerHooks {
  /** A client connected (before the 220 greeting). */
  readonly onConnect?: (event: SessionEvent) => HookResult;
  /** A control connection ended, after every other event of it. */
  readonly onDisconnect?: (event: SessionEvent) => HookResult;
  /** PASS was accepted. */
  readonly onLogin?: (event: LoginEvent) => HookResult;
  /** PASS was refused. */
  readonly onLoginFailed?: (event: LoginEvent) => HookResult;
  /** The user logged out (QUIT, REIN, or USER while logged in). */
  readonly onLogout?: (event: LoginEvent) => HookResult;
  /** A download completed (226). */
  readonly onFileSent?: (event: FileTransferEvent) => HookResult;
  /** An upload completed (226) and the file is complete on storage. */
  readonly onFileReceived?: (event: FileTransferEvent) => HookResult;
  /** A download ended without 226 (aborted, connection lost, error). */
  readonly onIncompleteFileSent?: (event: IncompleteTransferEvent) => HookResult;
  /** An upload ended without 226; part of the data may be on storage. */
  readonly onIncompleteFileReceived?: (event: IncompleteTransferEvent) => HookResult;
  /** A command line arrived, before it is served. */
  readonly onCommand?: (event: CommandEvent) => HookResult;
  /** A reply went out. */
  readonly onReply?: (event: ReplyEvent) => HookResult;
}

/** The event type each hook takes.
 *
 * @example
 * ```ts
 * import type { HookEvents } from "./hooks.ts";
 * const event: HookEvents["onCommand"] = {
 *   session: {
 *     id: 1,
 *     remoteAddress: { address: "127.0.0.1", port: 50000, family: "IPv4" },
 *     localAddress: { address: "127.0.0.1", port: 2121, family: "IPv4" },
 *   },
 *   verb: "NOOP",
 *   argument: "",
 * };
 * ```
 */
export type HookEvents = { readonly [K in keyof ServerHooks]-?: Parameters<NonNullable<ServerHooks[K]>>[0] };

/**
 * Calls `hooks[name]` with `event`, containing whatever it throws or rejects
 * with: `onError` gets that, and the returned promise (there only when the
 * hook returned one) always resolves.
 *
 * @example
 * ```ts
 * import { callHook } from "./hooks.ts";
 * const pending = callHook({ onConnect: () => { throw new Error("oops"); } }, "onConnect", {
 *   session: {
 *     id: 1,
 *     remoteAddress: { address: "127.0.0.1", port: 50000, family: "IPv4" },
 *     localAddress: { address: "127.0.0.1", port: 2121, family: "IPv4" },
 *   },
 * }, (error) => console.error(error)); // logs "oops", returns undefined
 * ```
 */
export function callHook<K extends keyof ServerHooks>(
  hooks: ServerHooks,
  name: K,
  event: HookEvents[K],
  onError: (error: unknown) => void,
): Promise<void> | undefined {
  const hook = hooks[name] as ((event: HookEvents[K]) => HookResult) | undefined;
  if (!hook) return undefined;
  try {
    const result = hook(event);
    if (result && typeof result.then === "function") return Promise.resolve(result).then(() => {}, onError);
  } catch (error) {
    onError(error);
  }
  return undefined;
}
