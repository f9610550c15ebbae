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
