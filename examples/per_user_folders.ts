/**
 * Each user gets a folder of their own under a base folder, created on first
 * login; a custom `Authorizer` decides who gets in.
 *
 *     deno run -A examples/per_user_folders.ts <base folder>
 *     bun examples/per_user_folders.ts <base folder>
 *     node examples/per_user_folders.ts <base folder>
 *
 * Any user name of letters and digits logs in with the password
 * `<name>-pw` (a stand-in for your own user store) and lands in
 * `<base folder>/<name>`, which nobody else can see.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import process from "node:process";
import { type Authorizer, FtpServer, type UserAccount } from "../mod.ts";

const base = resolve(process.argv[2] ?? "users");

const authorizer: Authorizer = {
  async authenticate({ username, password }): Promise<UserAccount | null> {
    if (!/^[a-z0-9]{1,32}$/i.test(username) || password !== `${username}-pw`) return null;
    const home = join(base, username);
    await mkdir(home, { recursive: true });
    return { username, permissions: "elradfmw", home, loginMessage: `Welcome to your folder, ${username}.` };
  },
};

const server = await FtpServer.start({ host: "127.0.0.1", port: Number(process.env.PORT ?? 2121), authorizer });
console.log(`listening on 127.0.0.1:${server.address.port}`);
