import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { FtpServer, type FtpServerOptions, MemoryFileSystem, silentLogger } from "../mod.ts";
import { parseArgs } from "../src/cli.ts";
import { loginBinary, PASSWORD, startFixture, USER } from "./_fixture.ts";
import {
  connectTcp,
  FtpClient,
  pasvPort,
  readAll,
  snapshot,
  waitFor,
  withClients,
  within,
  writeAndEnd,
} from "./_ftp_client.ts";

/** A client-side data port, as an FTP client opens for PORT/EPRT. */
interface DataPort {
  readonly port: number;
  /** Every connection that arrived, in order. */
  readonly accepted: Socket[];
  close(): Promise<void>;
}

function listenForData(host: string): Promise<DataPort> {
  return new Promise((resolve, reject) => {
    const accepted: Socket[] = [];
    const server: Server = createServer((socket) => accepted.push(socket));
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === "string") return reject(new Error("no port"));
      resolve({
        port: address.port,
        accepted,
        close: () => {
          for (const socket of accepted) socket.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

function portArgument(host: string, port: number): string {
  return `${host.replaceAll(".", ",")},${port >> 8},${port & 0xff}`;
}

/** After a refused PORT/EPRT no data channel exists: a STOR is 425 and
 * creates nothing. */
async function assertNoChannel(client: FtpClient, root: string): Promise<void> {
  const before = snapshot(root);
  await client.expect("STOR should-not-exist.txt", 425);
  assert.equal(existsSync(join(root, "should-not-exist.txt")), false);
  assert.deepEqual(snapshot(root), before);
}

async function ipv6Available(): Promise<boolean> {
  try {
    await (await listenForData("::1")).close();
    return true;
  } catch {
    return false;
  }
}

test("PORT: the server connects to the client's own port for RETR and STOR", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "down.bin"), "active download");
    const client = await loginBinary(open);
    const data = await listenForData("127.0.0.1");
    try {
      await client.expect(`PORT ${portArgument("127.0.0.1", data.port)}`, 200);
      await client.expect("RETR down.bin", 150);
      await waitFor(() => data.accepted.length === 1, 10_000, "active connection");
      assert.equal(data.accepted[0].remoteAddress, "127.0.0.1");
      assert.equal(Buffer.from(await readAll(data.accepted[0])).toString(), "active download");
      await client.expectReply(226);

      await client.expect(`PORT ${portArgument("127.0.0.1", data.port)}`, 200);
      await client.expect("STOR up.bin", 150);
      await waitFor(() => data.accepted.length === 2, 10_000, "second active connection");
      await writeAndEnd(data.accepted[1], "active upload");
      await client.expectReply(226);
      assert.equal(readFileSync(join(fx.root, "up.bin"), "utf8"), "active upload");
    } finally {
      await data.close();
    }
  });
});

test("EPRT |1|: LIST arrives over an active IPv4 connection", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "listed.txt"), "x");
    const client = await loginBinary(open);
    const data = await listenForData("127.0.0.1");
    try {
      await client.expect(`EPRT |1|127.0.0.1|${data.port}|`, 200);
      await client.expect("NLST", 150);
      await waitFor(() => data.accepted.length === 1, 10_000, "active connection");
      assert.equal(Buffer.from(await readAll(data.accepted[0])).toString(), "listed.txt\r\n");
      await client.expectReply(226);
    } finally {
      await data.close();
    }
  });
});

test("EPRT |2|: IPv6 active mode over ::1", { skip: !(await ipv6Available()) && "no IPv6 loopback" }, async () => {
  const fixture = await startFixture({ host: "::1" });
  const client = await FtpClient.connect(fixture.port, "::1");
  const data = await listenForData("::1");
  try {
    writeFileSync(join(fixture.root, "six.txt"), "over IPv6");
    await client.login(USER, PASSWORD);
    await client.expect("TYPE I", 200);
    await client.expect("PORT 127,0,0,1,200,10", 501);
    // Another spelling of ::1 is the same host.
    await client.expect(`EPRT !2!0:0:0:0:0:0:0:1!${data.port}!`, 200);
    await client.expect("RETR six.txt", 150);
    await waitFor(() => data.accepted.length === 1, 10_000, "active IPv6 connection");
    assert.equal(Buffer.from(await readAll(data.accepted[0])).toString(), "over IPv6");
    await client.expectReply(226);
    await client.expect("PASV", 425);
  } finally {
    client.close();
    await data.close();
    await fixture.close();
  }
});

test("PORT and EPRT to another host are refused with 501 and nothing connects (anti-bounce)", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loginBinary(open);
    const victim = await listenForData("127.0.0.2");
    try {
      const refused = await client.expect(`PORT ${portArgument("127.0.0.2", victim.port)}`, 501);
      assert.match(refused.lines[0], /own address/);
      await assertNoChannel(client, fx.root);
      await client.expect(`EPRT |1|127.0.0.2|${victim.port}|`, 501);
      await assertNoChannel(client, fx.root);
      // A mapped spelling of the client's own address is not foreign, but
      // another host in mapped form is.
      await client.expect(`EPRT |2|::ffff:127.0.0.2|${victim.port}|`, 501);
      await assertNoChannel(client, fx.root);
      assert.equal(victim.accepted.length, 0);
    } finally {
      await victim.close();
    }
  });
});

test("PORT and EPRT to a port below 1024 are refused with 501 and nothing is stored", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loginBinary(open);
    await client.expect("PORT 127,0,0,1,0,21", 501);
    await assertNoChannel(client, fx.root);
    await client.expect("EPRT |1|127.0.0.1|1023|", 501);
    await assertNoChannel(client, fx.root);
  });
});

test("permitForeignAddresses lets PORT reach another host", async () => {
  await withClients(await startFixture({ permitForeignAddresses: true }), async (fx, open) => {
    writeFileSync(join(fx.root, "fxp.txt"), "to a third party");
    const client = await loginBinary(open);
    const third = await listenForData("127.0.0.2");
    try {
      await client.expect(`PORT ${portArgument("127.0.0.2", third.port)}`, 200);
      await client.expect("RETR fxp.txt", 150);
      await waitFor(() => third.accepted.length === 1, 10_000, "connection to the third party");
      assert.equal(Buffer.from(await readAll(third.accepted[0])).toString(), "to a third party");
      await client.expectReply(226);
    } finally {
      await third.close();
    }
  });
});

test("malformed PORT and EPRT get 501, an unknown EPRT protocol 522", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loginBinary(open);
    for (const bad of ["PORT 127,0,0,1,4", "PORT 127,0,0,256,4,1", "PORT a,b,c,d,e,f", "PORT 127,0,0,1,0,0"]) {
      await client.expect(bad, 501);
    }
    for (const bad of ["EPRT |1|127.0.0.1|", "EPRT |1|::1|5000|", "EPRT |2|127.0.0.1|5000|", "EPRT |1|127.0.0.1|99999|"]) {
      await client.expect(bad, 501);
    }
    await client.expect("EPRT |3|127.0.0.1|5000|", 522);
    await assertNoChannel(client, fx.root);
  });
});

test("after EPSV ALL, PORT and EPRT are 501", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await loginBinary(open);
    await client.expect("EPSV ALL", 200);
    await client.expect("PORT 127,0,0,1,200,10", 501);
    await client.expect("EPRT |1|127.0.0.1|51210|", 501);
  });
});

test("a PORT target that does not answer gives 425, and the session goes on", async () => {
  // Port 1 (tcpmux) has no listener: a freed ephemeral port could be taken
  // by another program on a busy machine before the server connects.
  await withClients(await startFixture({ permitPrivilegedPorts: true }), async (fx, open) => {
    writeFileSync(join(fx.root, "a.txt"), "a");
    const client = await loginBinary(open);
    await client.expect("PORT 127,0,0,1,0,1", 200);
    await client.expect("RETR a.txt", 150);
    await client.expectReply(425);
    await client.expect("NOOP", 200);
  });
});

test("an unused PASV port closes after passiveTimeoutMs; the transfer then gets 425", async () => {
  await withClients(await startFixture({ passiveTimeoutMs: 300 }), async (fx, open) => {
    writeFileSync(join(fx.root, "a.txt"), "a");
    const client = await loginBinary(open);
    const port = pasvPort(await client.expect("PASV", 227));
    const deadline = Date.now() + 10_000;
    // Probing from another address: the client's own would be taken as its
    // data connection.
    for (;;) {
      const refused = await connectTcp(port, "127.0.0.2").then((socket) => (socket.destroy(), false), () => true);
      if (refused) break;
      assert.ok(Date.now() < deadline, "the unused PASV port still accepts connections after 10 s");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await client.expect("RETR a.txt", 150);
    await client.expectReply(425);
    await client.expect("NOOP", 200);
  });
});

test("without passivePorts, PASV listens on random ports of the dynamic range 49152-65535", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await loginBinary(open);
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) ports.add(pasvPort(await client.expect("PASV", 227)));
    for (const port of ports) assert.ok(port >= 49152 && port <= 65535, `port ${port}`);
    assert.ok(ports.size > 1, "every PASV got the same port");
  });
});

test("a foreign passive peer is refused, its bytes never reach the file, the client's own upload does", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loginBinary(open);
    const port = pasvPort(await client.expect("PASV", 227));
    await client.expect("STOR target.txt", 150);
    const thief = await connectTcp(port, "127.0.0.2");
    thief.on("error", () => {});
    thief.write("forged by a foreign peer");
    await within(new Promise((resolve) => thief.once("close", resolve)), 5000, "foreign peer closed");
    const data = await connectTcp(port);
    await writeAndEnd(data, "the real upload");
    await client.expectReply(226);
    assert.equal(readFileSync(join(fx.root, "target.txt"), "utf8"), "the real upload");
  });
});

test("PASV announces the masquerade address, except to clients the map sends to the real one", async () => {
  const cases: { options: Partial<FtpServerOptions>; expected: string }[] = [
    { options: { masqueradeAddress: "203.0.113.7" }, expected: "203,0,113,7" },
    { options: { masqueradeAddress: "203.0.113.7", masqueradeAddressMap: { private: null } }, expected: "127,0,0,1" },
    {
      options: { masqueradeAddress: "203.0.113.7", masqueradeAddressMap: { "10.0.0.0/8": null } },
      expected: "203,0,113,7",
    },
    { options: { masqueradeAddressMap: { "127.0.0.0/8": "192.0.2.1", private: null } }, expected: "192,0,2,1" },
  ];
  for (const { options, expected } of cases) {
    await withClients(await startFixture(options), async (_fx, open) => {
      const client = await loginBinary(open);
      const reply = await client.expect("PASV", 227);
      assert.ok(reply.lines[0].includes(`(${expected},`), `${JSON.stringify(options)}: ${reply.lines[0]}`);
    });
  }
});

test("a malformed masquerade map makes listen() reject", async () => {
  const start = (options: Partial<FtpServerOptions>) =>
    FtpServer.start({ host: "127.0.0.1", port: 0, fs: new MemoryFileSystem(), logger: silentLogger, ...options });
  await assert.rejects(start({ masqueradeAddressMap: { "10.0.0.0/33": null } }), TypeError);
  await assert.rejects(start({ masqueradeAddress: "::1" }), TypeError);
});

test("CLI: --nat-map, --permit-foreign-addresses and --permit-privileged-ports", () => {
  const options = parseArgs([
    "--nat-map",
    "private=real,100.64.0.0/10=100.64.0.1",
    "--permit-foreign-addresses",
    "--permit-privileged-ports",
  ]);
  assert.deepEqual(options.natMap, { private: null, "100.64.0.0/10": "100.64.0.1" });
  assert.equal(options.permitForeignAddresses, true);
  assert.equal(options.permitPrivilegedPorts, true);
  const defaults = parseArgs([]);
  assert.equal(defaults.permitForeignAddresses, false);
  assert.equal(defaults.permitPrivilegedPorts, false);
  assert.throws(() => parseArgs(["--nat-map", "private"]), /NET=ADDR/);
  assert.throws(() => parseArgs(["--nat-map", "10.0.0.0/40=real"]), /not an IP network/);
  assert.throws(() => parseArgs(["--nat-map", "private=example.org"]), /IPv4/);
});

test("PASV on a dual-stack listener answers the plain IPv4 address of an IPv4 client", { skip: !(await ipv6Available()) && "no IPv6" }, async () => {
  await withClients(await startFixture({ host: "::" }), async (fx, open) => {
    writeFileSync(join(fx.root, "dual.txt"), "dual stack");
    const client = await loginBinary(open);
    const reply = await client.expect("PASV", 227);
    assert.match(reply.lines[0], /\(127,0,0,1,\d+,\d+\)/);
    const data = await connectTcp(pasvPort(reply));
    const received = readAll(data);
    await client.expect("RETR dual.txt", 150);
    assert.equal(Buffer.from(await received).toString(), "dual stack");
    await client.expectReply(226);
  });
});

test("an active connection comes from the address the client reached, not just any local one", async () => {
  // 127.0.0.3 is a local address too, but the system would pick 127.0.0.1
  // to reach the client; the data connection must come from 127.0.0.3.
  const fixture = await startFixture({ host: "127.0.0.3" });
  const client = await FtpClient.connect(fixture.port, "127.0.0.3");
  const data = await listenForData("127.0.0.1");
  try {
    writeFileSync(join(fixture.root, "src.txt"), "from the control address");
    await client.login(USER, PASSWORD);
    await client.expect(`PORT ${portArgument("127.0.0.1", data.port)}`, 200);
    await client.expect("RETR src.txt", 150);
    await waitFor(() => data.accepted.length === 1, 10_000, "active connection");
    assert.equal(data.accepted[0].remoteAddress, "127.0.0.3");
    assert.equal(Buffer.from(await readAll(data.accepted[0])).toString(), "from the control address");
    await client.expectReply(226);
  } finally {
    client.close();
    await data.close();
    await fixture.close();
  }
});
