/**
 * Tells a reset from a clean end under a Deno `node:tls` socket.
 *
 * Deno's `node:tls` feeds the TCP handle's reads to its TLS layer and turns
 * every failed read into a clean end of stream: a connection reset, after
 * which the peer's unsent bytes are gone, looks like a finished upload. That
 * happens to real uploads: Deno's TLS 1.3 sends session tickets on a data
 * connection right after the handshake; a client that never reads an upload
 * connection (curl 7.88, lftp) closes it with those bytes unread, so its
 * kernel resets the connection and throws away what it had not sent yet.
 * The read's result is only in the stream base state, which
 * `process.binding("stream_wrap")` exposes.
 *
 * @module
 */

import process from "node:process";
import type * as tls from "node:tls";

interface StreamWrapBinding {
  readonly streamBaseState: Int32Array;
  readonly kReadBytesOrError: number;
}

interface ReadableHandle {
  onread?: (this: unknown, buffer: unknown) => unknown;
}

/** libuv's end-of-file code: a clean FIN. Any other negative result of a
 * read is an error (ECONNRESET is -104). */
const UV_EOF = -4095;

function streamWrap(): StreamWrapBinding | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding(
      "stream_wrap",
    );
    if (binding.streamBaseState instanceof Int32Array && typeof binding.kReadBytesOrError === "number") {
      return binding as StreamWrapBinding;
    }
  } catch {
    // Not this Deno: see below.
  }
  return undefined;
}

/**
 * Watches the TCP handle under a fresh server `TLSSocket` and returns a
 * function that says whether its reading stopped with an error (a reset)
 * rather than a clean end. Where Deno's internals differ from what this
 * knows, it answers `false`: the old behaviour, a reset looks like an end.
 *
 * @example
 * ```ts
 * import * as tls from "node:tls";
 * import { tlsResetProbe } from "./_deno_tls_reset.ts";
 * declare const socket: tls.TLSSocket;
 * const wasReset = tlsResetProbe(socket);
 * socket.on("end", () => console.log(wasReset() ? "reset" : "end"));
 * ```
 */
export function tlsResetProbe(socket: tls.TLSSocket): () => boolean {
  const binding = streamWrap();
  const tcp = (socket as unknown as { _handle?: { _nativeTcpHandle?: ReadableHandle } })._handle?._nativeTcpHandle;
  const onread = tcp?.onread;
  if (!binding || !tcp || typeof onread !== "function") return () => false;
  let reset = false;
  tcp.onread = function (buffer) {
    const result = binding.streamBaseState[binding.kReadBytesOrError];
    if (result < 0 && result !== UV_EOF) reset = true;
    return onread.call(this, buffer);
  };
  return () => reset;
}
