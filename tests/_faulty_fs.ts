/**
 * A FileSystem wrapper that injects storage failures (disk full, permission
 * denied, read-only file system, a file vanishing mid-read), to prove that
 * every failure becomes a clear reply, the session goes on and no handle
 * stays open.
 *
 * @module
 */

import {
  type FileSink,
  type FileSource,
  type FileStat,
  type FileSystem,
  FileSystemError,
  type ListEntry,
  type WriteMode,
} from "../mod.ts";

/** Which failure to inject next; every field is optional and stays until
 * changed. `afterBytes` lets that many bytes through first. */
export interface FaultPlan {
  /** read() fails with this code before opening anything. */
  openRead?: string;
  /** write() fails with this code before opening anything. */
  openWrite?: string;
  /** An opened source fails with `code` once `afterBytes` were read. */
  midRead?: { readonly code: string; readonly afterBytes: number };
  /** An opened sink fails with `code` once `afterBytes` were written. */
  midWrite?: { readonly code: string; readonly afterBytes: number };
  /** Closing a sink (committing the upload) fails with this code. */
  commit?: string;
  /** mkdir, rmdir, remove and rename fail with this code. */
  change?: string;
}

function fault(code: string): FileSystemError {
  return new FileSystemError(code, `injected ${code}`);
}

/** Wraps `inner`; `plan` is read at each call, so tests change it freely. */
export class FaultyFileSystem implements FileSystem {
  readonly inner: FileSystem;
  plan: FaultPlan = {};

  constructor(inner: FileSystem) {
    this.inner = inner;
  }

  stat(path: string): Promise<FileStat> {
    return this.inner.stat(path);
  }

  list(path: string): Promise<ListEntry[]> {
    return this.inner.list(path);
  }

  async read(path: string, start: number): Promise<FileSource> {
    if (this.plan.openRead) throw fault(this.plan.openRead);
    const source = await this.inner.read(path, start);
    const midRead = this.plan.midRead;
    if (!midRead) return source;
    let passed = 0;
    return {
      async read() {
        if (passed >= midRead.afterBytes) throw fault(midRead.code);
        const chunk = await source.read();
        if (chunk) passed += chunk.length;
        return chunk;
      },
      close: () => source.close(),
    };
  }

  async write(path: string, mode: WriteMode): Promise<FileSink> {
    if (this.plan.openWrite) throw fault(this.plan.openWrite);
    const sink = await this.inner.write(path, mode);
    const { midWrite, commit } = this.plan;
    let passed = 0;
    return {
      async write(data) {
        if (midWrite && passed + data.length > midWrite.afterBytes) throw fault(midWrite.code);
        passed += data.length;
        await sink.write(data);
      },
      async close() {
        if (commit) {
          await (sink.abort ? sink.abort() : sink.close());
          throw fault(commit);
        }
        await sink.close();
      },
      abort: () => (sink.abort ? sink.abort() : sink.close()),
    };
  }

  mkdir(path: string): Promise<void> {
    return this.plan.change ? Promise.reject(fault(this.plan.change)) : this.inner.mkdir(path);
  }

  rmdir(path: string): Promise<void> {
    return this.plan.change ? Promise.reject(fault(this.plan.change)) : this.inner.rmdir(path);
  }

  remove(path: string): Promise<void> {
    return this.plan.change ? Promise.reject(fault(this.plan.change)) : this.inner.remove(path);
  }

  rename(from: string, to: string): Promise<void> {
    return this.plan.change ? Promise.reject(fault(this.plan.change)) : this.inner.rename(from, to);
  }
}
