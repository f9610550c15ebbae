import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loginCycle } from "../scripts/_login_cycle.ts";
import { PASSWORD, startFixture, USER } from "./_fixture.ts";
import { connectTcp } from "./_ftp_client.ts";

// The benchmark's login scenario dials with each runtime's own sockets
// (Bun.connect, Deno.connect, node:net): each of those paths must log in
// for real and fail loudly, or the scenario would count failures as logins.

test("bench login cycle: logs in, changes folder and quits on this runtime's own sockets", async () => {
  const fixture = await startFixture();
  try {
    mkdirSync(join(fixture.root, "pub"));
    const target = { host: "127.0.0.1", port: fixture.port, user: USER, password: PASSWORD, dir: "pub" };
    await Promise.all(Array.from({ length: 8 }, () => loginCycle(target)));
    await loginCycle({ ...target, user: "anonymous", password: "guest@", dir: undefined });
  } finally {
    await fixture.close();
  }
});

test("bench login cycle: a refused password or a missing folder rejects with the server's reply", async () => {
  const fixture = await startFixture();
  try {
    const target = { host: "127.0.0.1", port: fixture.port, user: USER, password: PASSWORD };
    await assert.rejects(loginCycle({ ...target, password: "wrong" }), /^Error: PASS wrong: 530 /);
    await assert.rejects(loginCycle({ ...target, dir: "missing" }), /^Error: CWD missing: 550 /);
  } finally {
    await fixture.close();
  }
});

test("bench login cycle: a connection the server closes before its greeting rejects", async () => {
  const fixture = await startFixture({ maxConnections: 1 });
  const holder = await connectTcp(fixture.port);
  await new Promise((resolve) => holder.once("data", resolve));
  try {
    await assert.rejects(
      loginCycle({ host: "127.0.0.1", port: fixture.port, user: USER, password: PASSWORD }),
      /^Error: greeting: (421 |connection closed)/,
    );
  } finally {
    holder.destroy();
    await fixture.close();
  }
});
