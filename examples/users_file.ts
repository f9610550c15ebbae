/**
 * Users from a JSON file (`users.json` next to this script: `alice`,
 * password `wonderland`, plus read-only anonymous access), wrapped in a
 * custom `Authorizer` that adds a rule of its own: logins only from this
 * machine.
 *
 *     deno run -A examples/users_file.ts [folder]
 *     bun examples/users_file.ts [folder]
 *     node examples/users_file.ts [folder]
 *
 * Make a password hash for the file with
 * `deno eval 'import { hashPassword } from "./mod.ts"; console.log(await hashPassword("pw"))'`.
 */
import process from "node:process";
import { type Authorizer, FtpServer, MemoryAuthorizer } from "../mod.ts";

const users = await MemoryAuthorizer.fromFile(`${import.meta.dirname}/users.json`);

const authorizer: Authorizer = {
  authenticate(request) {
    const local = request.remoteAddress.address === "::1" || request.remoteAddress.address.startsWith("127.");
    return local ? users.authenticate(request) : Promise.resolve(null);
  },
};

const server = await FtpServer.start({
  host: "127.0.0.1",
  port: Number(process.env.PORT ?? 2121),
  root: process.argv[2] ?? ".",
  authorizer,
});
console.log(`listening on 127.0.0.1:${server.address.port}`);
