/**
 * Splits the control connection's byte stream into command lines.
 *
 * @module
 */

/** The longest command line accepted, in bytes, terminator excluded. Longer
 * lines are refused without being buffered, so a client cannot grow server
 * memory by never sending a line end. */
export const MAX_LINE_BYTES = 2048;

/** What the reader found in the stream.
 *
 * @example
 * ```ts
 * import type { LineEvent } from "./line_reader.ts";
 * function describe(event: LineEvent): string {
 *   return event.kind === "line" ? event.text : event.kind;
 * }
 * ```
 */
export type LineEvent =
  | { readonly kind: "line"; readonly text: string }
  | { readonly kind: "too-long" }
  | { readonly kind: "bad-encoding" };

const LF = 0x0a;
const CR = 0x0d;
/** Telnet "interpret as command" (RFC 854), and the bytes after it that
 * matter here: option negotiation takes one more byte, subnegotiation runs
 * to IAC SE. */
const IAC = 0xff;
const SE = 240;
const SB = 250;
const WILL = 251;
const DONT = 254;

/** Commands a client may send as TCP urgent data. */
const URGENT_VERBS = new Set(["ABOR", "STAT", "QUIT"]);

/** Where the Telnet filter is inside a command sequence. */
type TelnetState = "data" | "iac" | "option" | "subnegotiation" | "subnegotiation-iac";

/** Shared by every reader: it decodes whole lines only, so it keeps no
 * state between calls, and one decoder per session would cost ~100 bytes. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Incremental splitter: feed it chunks as they arrive, take whole lines out.
 * Lines end at LF; one CR before the LF is dropped (clients sending bare LF
 * are tolerated, as every popular server does). Telnet commands (RFC 959
 * §4.1.3: clients send IAC IP, IAC DM before ABOR) are removed, even when
 * split across chunks; IAC IAC stands for one 0xFF byte, and IAC before a
 * byte that is no Telnet command is kept as data.
 *
 * @example
 * ```ts
 * import { LineReader } from "./line_reader.ts";
 * const reader = new LineReader();
 * const bytes = new TextEncoder().encode("NOOP\r\nPW");
 * reader.push(bytes); // [{ kind: "line", text: "NOOP" }]
 * reader.push(new TextEncoder().encode("D\r\n")); // [{ kind: "line", text: "PWD" }]
 * ```
 */

export class LineReader {
  /** A line split across chunks, gathered here; allocated only then, so an
   * idle session holds no buffer. */
  #pending: Uint8Array | undefined;
  #pendingLength = 0;
  /** Set after an overlong line was reported, until its end is seen. */
  #skipping = false;
  #telnet: TelnetState = "data";
  /** Set after a line was ended by a CR alone (see {@link push}). */
  #dropLf = false;

  /** Consumes `chunk` (which need not outlive this call) and returns the
   * events it completes, in order. */
  push(chunk: Uint8Array): LineEvent[] {
    // The common case, no Telnet byte at all, costs one scan and no copy.
    if (this.#telnet !== "data" || chunk.indexOf(IAC) !== -1) chunk = this.#stripTelnet(chunk);
    const events: LineEvent[] = [];
    let start = this.#dropLf && chunk[0] === LF ? 1 : 0;
    this.#dropLf = false;
    while (start < chunk.length) {
      const end = chunk.indexOf(LF, start);
      const stop = end === -1 ? chunk.length : end;
      if (end !== -1 && !this.#skipping && this.#pendingLength === 0) {
        // A whole line in one chunk, the usual case: decoded in place.
        events.push(this.#decodeLine(chunk.subarray(start, stop)));
        start = end + 1;
        continue;
      }
      if (!this.#skipping) this.#append(chunk.subarray(start, stop), events);
      if (end === -1) break;
      if (this.#skipping) this.#skipping = false;
      else events.push(this.#takePending());
      start = end + 1;
    }
    // ABOR, STAT and QUIT may come as TCP urgent data (RFC 959 §4.1.3;
    // Python's ftplib sends ABOR so): the urgent last byte, the LF, never
    // reaches the normal stream, and the client waits for the reply. So a
    // chunk ending in one of them and CR ends the line; a LF that still
    // follows is dropped.
    if (!this.#skipping && this.#pendingLength === 5 && this.#pending?.[4] === CR) {
      const verb = String.fromCharCode(...this.#pending.subarray(0, 4)).toUpperCase();
      if (URGENT_VERBS.has(verb)) {
        events.push(this.#takePending());
        this.#dropLf = true;
      }
    }
    return events;
  }

  #stripTelnet(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(chunk.length);
    let length = 0;
    let state = this.#telnet;
    for (const byte of chunk) {
      if (state === "data") {
        if (byte === IAC) state = "iac";
        else out[length++] = byte;
      } else if (state === "iac") {
        if (byte < SE) {
          // Not a Telnet command: both bytes are data (and likely bad UTF-8).
          out[length++] = IAC;
          out[length++] = byte;
        } else if (byte === IAC) {
          out[length++] = byte;
        }
        state = byte >= WILL && byte <= DONT ? "option" : byte === SB ? "subnegotiation" : "data";
      } else if (state === "option") {
        state = "data";
      } else if (state === "subnegotiation") {
        if (byte === IAC) state = "subnegotiation-iac";
      } else {
        state = byte === SE ? "data" : "subnegotiation";
      }
    }
    this.#telnet = state;
    return out.subarray(0, length);
  }

  #append(bytes: Uint8Array, events: LineEvent[]): void {
    if (this.#pendingLength + bytes.length > MAX_LINE_BYTES + 1) {
      this.#pendingLength = 0;
      this.#skipping = true;
      events.push({ kind: "too-long" });
      return;
    }
    this.#pending ??= new Uint8Array(MAX_LINE_BYTES + 1);
    this.#pending.set(bytes, this.#pendingLength);
    this.#pendingLength += bytes.length;
  }

  #takePending(): LineEvent {
    const line = this.#pending?.subarray(0, this.#pendingLength) ?? new Uint8Array(0);
    this.#pendingLength = 0;
    const event = this.#decodeLine(line);
    this.#pending = undefined;
    return event;
  }

  /** A line's bytes without its LF; one CR before the LF is dropped. */
  #decodeLine(bytes: Uint8Array): LineEvent {
    const length = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
    if (length > MAX_LINE_BYTES) return { kind: "too-long" };
    try {
      return { kind: "line", text: utf8.decode(bytes.subarray(0, length)) };
    } catch {
      return { kind: "bad-encoding" };
    }
  }
}

/** A command line split into its verb and argument.
 *
 * @example
 * ```ts
 * import type { CommandLine } from "./line_reader.ts";
 * const line: CommandLine = { verb: "RETR", argument: "a file.txt" };
 * ```
 */
export interface CommandLine {
  /** The verb, upper-cased. */
  readonly verb: string;
  /** Everything after the first space, unchanged (names may hold spaces). */
  readonly argument: string;
}

/**
 * Splits a line at its first space. The argument keeps inner and trailing
 * spaces, because file names may contain them.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./line_reader.ts";
 * parseCommand("stor my file.txt"); // { verb: "STOR", argument: "my file.txt" }
 * ```
 */
export function parseCommand(line: string): CommandLine {
  const space = line.indexOf(" ");
  if (space === -1) return { verb: line.toUpperCase(), argument: "" };
  return { verb: line.slice(0, space).toUpperCase(), argument: line.slice(space + 1) };
}
