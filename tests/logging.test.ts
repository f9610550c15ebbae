import assert from "node:assert/strict";
import { test } from "node:test";
import { createConsoleLogger, type LogRecord } from "../mod.ts";
import { startFixture } from "./_fixture.ts";
import { FtpClient } from "./_ftp_client.ts";

test("logging: a logger's enabled() follows its level, and sessions build no record it does not want", async () => {
  const console = createConsoleLogger({ level: "info", write: () => {} });
  assert.equal(console.enabled?.("debug"), false);
  assert.equal(console.enabled?.("info"), true);

  const records: LogRecord[] = [];
  const asked = new Set<string>();
  const fixture = await startFixture({
    logger: {
      log: (record) => records.push(record),
      enabled: (level) => {
        asked.add(level);
        return level !== "debug";
      },
    },
  });
  try {
    const client = await FtpClient.connect(fixture.port);
    await client.expect("NOOP", 200);
    await client.expect("QUIT", 221);
    await client.closed;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(asked.has("debug"), "the session asked before building debug records");
    assert.deepEqual(records.filter((record) => record.level === "debug"), []);
    assert.ok(records.some((record) => /session opened/.test(record.message)), "info records still arrive");
  } finally {
    await fixture.close();
  }
});

test("logging: the console logger writes a turn's lines to standard error together, and flush() writes them at once", async () => {
  const written: string[] = [];
  const original = console.error;
  console.error = (text: string) => void written.push(text);
  try {
    const logger = createConsoleLogger({ level: "info" });
    const at = (seconds: number) => new Date(2026, 0, 2, 3, 4, seconds);
    logger.log({ level: "info", time: at(5), message: "one" });
    logger.log({ level: "debug", time: at(5), message: "below the level" });
    logger.log({ level: "warn", time: at(6), message: "two", session: { remote: "127.0.0.1:5", user: "ann" } });
    assert.equal(written.length, 0, "held until the turn ends");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(written, [
      "[I 2026-01-02 03:04:05] one\n[W 2026-01-02 03:04:06] 127.0.0.1:5-[ann] two",
    ]);
    logger.log({ level: "error", time: at(6), message: "three" });
    logger.flush?.();
    assert.deepEqual(written.slice(1), ["[E 2026-01-02 03:04:06] three"]);
    logger.flush?.();
    assert.equal(written.length, 2, "nothing is written twice");
    for (let i = 0; i < 256; i++) logger.log({ level: "info", time: at(7), message: `line ${i}` });
    assert.deepEqual(
      written.map((text) => text.split("\n").length),
      [2, 1, 256],
      "a full batch goes out without waiting for the turn to end",
    );
  } finally {
    console.error = original;
  }
});
