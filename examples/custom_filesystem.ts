/**
 * A `FileSystem` of your own: a read-only tree whose files are generated
 * when they are read (a status page, a report, rows of a database...).
 *
 *     deno run -A examples/custom_filesystem.ts
 *     bun examples/custom_filesystem.ts
 *     node examples/custom_filesystem.ts
 *
 * Anonymous users can list and download `/hello.txt`, `/status/time.txt`
 * and `/status/uptime.txt`; every change is refused with `EROFS` (550).
 */
import process from "node:process";
import {
  type FileSource,
  type FileStat,
  type FileSystem,
  FileSystemError,
  FtpServer,
  type ListEntry,
  MemoryAuthorizer,
} from "../mod.ts";

const started = Date.now();

class GeneratedFileSystem implements FileSystem {
  readonly #files: Readonly<Record<string, () => string>>;

  constructor(files: Readonly<Record<string, () => string>>) {
    this.#files = files;
  }

  // Paths arrive virtual, absolute and normalised: "/", "/status/time.txt".
  stat(path: string): Promise<FileStat> {
    const generate = this.#files[path];
    if (generate) {
      return Promise.resolve({ kind: "file", size: encode(generate()).length, mtimeMs: Date.now(), mode: 0o444 });
    }
    if (this.#children(path).length > 0) {
      return Promise.resolve({ kind: "directory", size: 0, mtimeMs: started, mode: 0o555 });
    }
    return Promise.reject(new FileSystemError("ENOENT", `${path} does not exist`));
  }

  async list(path: string): Promise<ListEntry[]> {
    const names = this.#children(path);
    if (names.length === 0) throw new FileSystemError("ENOTDIR", `${path} is not a folder`);
    const prefix = path === "/" ? "/" : `${path}/`;
    return await Promise.all(names.map(async (name) => ({ name, stat: await this.stat(prefix + name) })));
  }

  read(path: string, start: number): Promise<FileSource> {
    const generate = this.#files[path];
    if (!generate) return Promise.reject(new FileSystemError("ENOENT", `${path} is not a file`));
    let bytes: Uint8Array | null = encode(generate()).subarray(start);
    return Promise.resolve({
      read() {
        const chunk = bytes;
        bytes = null;
        return Promise.resolve(chunk);
      },
      close: () => Promise.resolve(),
    });
  }

  write(): Promise<never> {
    return readOnly();
  }
  mkdir(): Promise<never> {
    return readOnly();
  }
  rmdir(): Promise<never> {
    return readOnly();
  }
  remove(): Promise<never> {
    return readOnly();
  }
  rename(): Promise<never> {
    return readOnly();
  }

  /** Names directly inside folder `path`. */
  #children(path: string): string[] {
    const prefix = path === "/" ? "/" : `${path}/`;
    const names = Object.keys(this.#files)
      .filter((file) => file.startsWith(prefix))
      .map((file) => file.slice(prefix.length).split("/")[0]);
    return [...new Set(names)].sort();
  }
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function readOnly(): Promise<never> {
  // EROFS becomes "550 Read-only file system." for the client.
  return Promise.reject(new FileSystemError("EROFS", "this tree is generated, not stored"));
}

const server = await FtpServer.start({
  host: "127.0.0.1",
  port: Number(process.env.PORT ?? 2121),
  fs: new GeneratedFileSystem({
    "/hello.txt": () => "Hello from a generated file system.\n",
    "/status/time.txt": () => `${new Date().toISOString()}\n`,
    "/status/uptime.txt": () => `${Math.round((Date.now() - started) / 1000)} s\n`,
  }),
  authorizer: new MemoryAuthorizer({ anonymous: true }),
});
console.log(`listening on 127.0.0.1:${server.address.port}`);
