/**
 * An upload hook that logs each received file's SHA-256, read back from
 * storage once the upload is complete.
 *
 *     deno run -A examples/upload_checksums.ts [folder]
 *     bun examples/upload_checksums.ts [folder]
 *     node examples/upload_checksums.ts [folder]
 *
 * Serves `folder` (default: the current one) on port $PORT (default 2121)
 * to user `alice`, password `secret`, and prints `sha256 <hex> <path>` for
 * every upload.
 */
import { createHash } from "node:crypto";
import process from "node:process";
import { FtpServer, MemoryAuthorizer } from "../mod.ts";

const server = await FtpServer.start({
  host: "127.0.0.1",
  port: Number(process.env.PORT ?? 2121),
  root: process.argv[2] ?? ".",
  authorizer: new MemoryAuthorizer({ users: { alice: { password: "secret", permissions: "elradfmw" } } }),
  hooks: {
    async onFileReceived({ fs, path }) {
      const hash = createHash("sha256");
      const source = await fs.read(path, 0);
      try {
        for (let chunk = await source.read(); chunk; chunk = await source.read()) hash.update(chunk);
      } finally {
        await source.close();
      }
      console.log(`sha256 ${hash.digest("hex")} ${path}`);
    },
  },
});
console.log(`listening on 127.0.0.1:${server.address.port}`);
