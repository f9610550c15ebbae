/**
 * A real tsftpd on 127.0.0.1 over a fresh temporary folder, for wire tests.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FtpClient } from "./_ftp_client.ts";
import {
  ALL_PERMISSIONS,
  type FtpServerOptions,
  FtpServer,
  MemoryAuthorizer,
  READ_ONLY_PERMISSIONS,
  silentLogger,
} from "../mod.ts";

/** The user with every permission that fixtures create. */
export const USER = "alice";
/** {@link USER}'s password. */
export const PASSWORD = "s3cret pass";

/** A running server over its own temporary root folder. */
export interface Fixture {
  readonly server: FtpServer;
  readonly port: number;
  /** The real folder served as `/`. */
  readonly root: string;
  /** `ftp://alice:pass@127.0.0.1:port` (password URL-encoded), for curl. */
  readonly url: string;
  /** Stops the server and removes the root folder. */
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1, port 0, serving a new temporary folder to
 * {@link USER} (all permissions) and to anonymous users (read-only).
 * `options` override the defaults.
 */
export async function startFixture(options: Partial<FtpServerOptions> = {}): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), "tsftpd-root-"));
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    root,
    logger: silentLogger,
    // Wrong-password tests need not wait pyftpdlib's 3 s each.
    failedLoginDelayMs: 0,
    authorizer: new MemoryAuthorizer({
      users: { [USER]: { password: PASSWORD, permissions: ALL_PERMISSIONS } },
      anonymous: { permissions: READ_ONLY_PERMISSIONS },
    }),
    ...options,
  });
  const { port } = await server.listen();
  return {
    server,
    port,
    root,
    url: `ftp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`,
    async close() {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Opens a client, logs in as {@link USER} and switches to binary (TYPE I). */
export async function loginBinary(open: () => Promise<FtpClient>): Promise<FtpClient> {
  const client = await open();
  await client.login(USER, PASSWORD);
  await client.expect("TYPE I", 200);
  return client;
}
