/**
 * The Node adapter: `node:net` sockets, `node:tls` and `node:fs/promises`
 * files.
 *
 * @module
 */

import process from "node:process";
import type { Runtime } from "../port.ts";
import { connectNet, listenNet, type NetReceive } from "./_node_net.ts";
import { nodeFiles } from "./_node_files.ts";
import { nodeHost } from "./_node_process.ts";
import { createTlsContext, tlsUpgrade } from "./_node_tls.ts";

/** Uploads read into their own buffers: on Node, `onread` is the one way
 * around a fresh 64 KiB allocation per read. */
const RECEIVE: NetReceive = { ownBuffers: true };

/**
 * The port implemented with Node's built-in modules.
 *
 * @example
 * ```ts
 * import { runtime } from "./node.ts";
 * const listener = await runtime.listen({
 *   host: "127.0.0.1",
 *   port: 0,
 *   onConnection: (conn) => conn.close(),
 * });
 * console.log(listener.address.port > 0); // true
 * await listener.close();
 * ```
 */
export const runtime: Runtime = {
  name: "node",
  version: process.versions.node,
  listen: (options) => listenNet(options, RECEIVE),
  connect: (options) => connectNet(options, RECEIVE),
  createTlsContext,
  upgradeTls: tlsUpgrade({ pausable: true }),
  files: nodeFiles,
  host: nodeHost,
};
