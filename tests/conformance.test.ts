import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PASSWORD, startFixture, USER } from "./_fixture.ts";
import { type FtpClient, type FtpReply, withClients } from "./_ftp_client.ts";

/** One row of docs/conformance.md. */
interface Row {
  readonly verbs: readonly string[];
  readonly document: string;
  readonly status: "implemented" | "refused" | "not implemented" | "TLS";
  /** The FEAT line (or its first words); null for `—`. */
  readonly feature: string | null;
  readonly notes: string;
  readonly tests: readonly string[];
}

const TESTS = dirname(fileURLToPath(import.meta.url));
const DOC = join(TESTS, "..", "docs", "conformance.md");

function parseTable(): Row[] {
  const lines = readFileSync(DOC, "utf8").split("\n").filter((line) => line.startsWith("| "));
  const [header, ...rows] = lines;
  assert.deepEqual(cells(header), ["Command", "Document", "Status", "FEAT", "Notes", "Proven by"]);
  return rows.filter((line) => !/^\|[-| ]+\|$/.test(line)).map((line) => {
    const [command, document, status, feature, notes, tests] = cells(line);
    assert.ok(["implemented", "refused", "not implemented", "TLS"].includes(status), `status of ${command}: ${status}`);
    return {
      verbs: command.split(", "),
      document,
      status: status as Row["status"],
      feature: feature === "—" ? null : feature,
      notes,
      tests: tests === "" ? [] : tests.split(", "),
    };
  });
}

function cells(line: string): string[] {
  return line.slice(1, -1).split("|").map((cell) => cell.trim());
}

/** The middle lines of a multi-line reply, trimmed. */
function body(reply: FtpReply): string[] {
  return reply.lines.slice(1, -1).map((line) => line.trim());
}

const ROWS = parseTable();
const isSite = (verb: string) => verb.startsWith("SITE ");

test("conformance table: every row has a document, a reason when not implemented, and tests that mention its verbs", () => {
  const seen = new Set<string>();
  for (const row of ROWS) {
    for (const verb of row.verbs) {
      assert.ok(!seen.has(verb), `${verb} has two rows`);
      seen.add(verb);
    }
    assert.notEqual(row.document, "", `${row.verbs} names no document`);
    if (row.status === "refused" || row.status === "not implemented") {
      assert.ok(row.notes.length > 20, `${row.verbs} is ${row.status} without a reason`);
    }
    // The refusals of unknown verbs are proven for every such row at once,
    // by the wire test below.
    if (row.status === "TLS" || (row.status === "not implemented" && row.tests.join() === "conformance.test.ts")) {
      continue;
    }
    assert.ok(row.tests.length > 0, `${row.verbs} names no test`);
    const words = row.verbs.map((verb) => (isSite(verb) ? verb.slice(5) : verb));
    const texts = row.tests.map((name) => {
      const path = join(TESTS, name);
      assert.ok(existsSync(path), `${row.verbs}: ${name} does not exist`);
      return readFileSync(path, "utf8");
    });
    const mentions = (text: string, word: string) => new RegExp(`\\b${word}\\b`).test(text);
    for (const word of words) {
      assert.ok(texts.some((text) => mentions(text, word)), `no test named for ${row.verbs} mentions ${word}`);
    }
  }
});

test("conformance table agrees with HELP, SITE HELP and FEAT of a running server", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client: FtpClient = await open();
    await client.login(USER, PASSWORD);
    const help = new Set(body(await client.expect("HELP", 214)).flatMap((line) => line.split(/\s+/)));
    const site = new Set(body(await client.expect("SITE HELP", 214)).map((line) => line.split(" ")[1]));
    const features = body(await client.expect("FEAT", 211));

    const rows = ROWS.filter((row) => row.status !== "TLS");
    const implemented = rows.filter((row) => row.status === "implemented").flatMap((row) => row.verbs);
    assert.deepEqual(
      implemented.filter((verb) => !isSite(verb)).sort(),
      [...help].filter((verb) => ROWS.every((row) => row.status !== "TLS" || !row.verbs.includes(verb))).sort(),
      "implemented rows and HELP differ",
    );
    assert.deepEqual(implemented.filter(isSite).map((verb) => verb.slice(5)).sort(), [...site].sort());

    const documented = rows.flatMap((row) => (row.feature === null ? [] : [row.feature]));
    const matches = (line: string, feature: string) => line === feature || line.startsWith(`${feature} `);
    for (const line of features) {
      if (ROWS.some((row) => row.status === "TLS" && row.verbs.some((verb) => line.startsWith(verb)))) continue;
      assert.equal(documented.filter((feature) => matches(line, feature)).length, 1, `FEAT line ${line}`);
    }
    for (const feature of documented) {
      assert.ok(features.some((line) => matches(line, feature)), `FEAT lacks ${feature}: ${features}`);
    }

    for (const row of rows.filter((row) => row.status === "refused" || row.status === "not implemented")) {
      for (const verb of row.verbs) {
        assert.ok(!help.has(verb), `${verb} is ${row.status} but HELP lists it`);
        const reply = await client.send(`${verb} x`);
        assert.equal(reply.code, row.status === "refused" ? 502 : 500, `${verb}: ${reply.lines[0]}`);
      }
    }
  });
});
