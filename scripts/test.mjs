#!/usr/bin/env node
/**
 * The one test command (`npm test`, `deno task test`, CI): bootstraps the pinned Deno, Bun and
 * Node 24 binaries from npm, makes sure the system tools the wire tests drive are present, runs
 * `deno check`, `deno lint`, `deno doc --lint` and `deno publish --dry-run`, then runs tests/*.test.ts on each runtime in turn.
 * The last line is always `N passed, N failed` (plus `, N skipped` when some were); the exit
 * status is 0 only when nothing failed. Plain JS for Node >= 18 so a fresh machine needs nothing
 * but Node and npm.
 *
 * @example
 * // npm test
 * // node scripts/test.mjs --runtime deno,node --no-check tests/reply.test.ts
 * // TSFTPD_BUN_BIN=/opt/bun/bin/bun node scripts/test.mjs --runtime bun
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, join, relative, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const BIN_DIR = join(ROOT, "node_modules", ".bin");
const RUNTIMES = ["deno", "bun", "node"];
const DEFAULT_TIMEOUT_MINUTES = 12;
// node --test has no per-test limit and bun's is 5 s: one explicit bound makes a slow test behave
// alike on both, and a hung test fails alone instead of eating the whole run's time budget.
const PER_TEST_TIMEOUT_MS = 120_000;
// The only list of system packages: the probe proves the tool works, apt names the Debian package.
const SYSTEM_TOOLS = [
  { name: "curl", probe: ["curl", "--version"], apt: "curl" },
  { name: "python3 with ftplib and ssl", probe: ["python3", "-c", "import ftplib, ssl"], apt: "python3" },
  { name: "lftp", probe: ["lftp", "--version"], apt: "lftp" },
  { name: "rclone", probe: ["rclone", "version"], apt: "rclone" },
  { name: "openssl", probe: ["openssl", "version"], apt: "openssl" },
];
const KEEP_OUTPUT_CHARS = 1 << 20;
const USAGE = `usage: node scripts/test.mjs [--runtime deno,bun,node] [--no-check] [--timeout MINUTES] [TEST_FILE...]
  --runtime LIST   run the tests only on these runtimes
  --no-check       skip deno check, deno lint, deno doc --lint and deno publish --dry-run
  --timeout MIN    minutes each runtime (and each static check) may take; default ${DEFAULT_TIMEOUT_MINUTES}
  TEST_FILE        run only these test files (default: tests/*.test.ts)
env TSFTPD_DENO_BIN, TSFTPD_BUN_BIN, TSFTPD_NODE_BIN: use this binary instead of node_modules/.bin/<runtime>
through npm or deno: npm test -- --runtime node   /   deno task test --runtime node`;

const CHILD_ENV = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
// FORCE_COLOR beats NO_COLOR in node's reporters, and colour codes split the summary lines we parse.
delete CHILD_ENV.FORCE_COLOR;

const RUNNERS = {
  deno: {
    // deno check has already type-checked tests/ and everything they import; re-checking would
    // double the cost and let one type error hide every deno result. Node and Bun strip types too.
    args: (files) => ["test", "-A", "--no-check", ...files],
    parse: parseDeno,
  },
  bun: {
    // bun test treats a bare argument as a name filter; a ./ path selects exactly that file.
    args: (files) => ["test", `--timeout=${PER_TEST_TIMEOUT_MS}`, ...files.map((file) => `./${file}`)],
    parse: parseBun,
  },
  node: {
    args: (files) => ["--test", "--test-reporter=spec", `--test-timeout=${PER_TEST_TIMEOUT_MS}`, ...files],
    parse: parseNode,
  },
};

/** The child whose process group an interrupt must take down (children run in their own group). */
let activeChild = null;

function fail(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { runtimes: RUNTIMES, check: true, timeoutMinutes: DEFAULT_TIMEOUT_MINUTES, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith("--") ? argv[i].split(/=(.*)/s) : [argv[i]];
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (flag === "--runtime") {
      options.runtimes = value().split(",").filter(Boolean);
      const unknown = options.runtimes.filter((name) => !RUNTIMES.includes(name));
      if (unknown.length > 0 || options.runtimes.length === 0) fail(`unknown runtime in --runtime: ${unknown}`);
    } else if (flag === "--no-check") {
      options.check = false;
    } else if (flag === "--timeout") {
      options.timeoutMinutes = Number(value());
      if (!(options.timeoutMinutes > 0)) fail("--timeout needs a positive number of minutes");
    } else if (flag.startsWith("-")) {
      fail(`unknown option ${flag}`);
    } else {
      options.files.push(repoPath(flag));
    }
  }
  return options;
}

function repoPath(arg) {
  const absolute = resolve(arg);
  const path = relative(ROOT, absolute).split(sep).join("/");
  if (path.startsWith("..") || !existsSync(absolute) || !statSync(absolute).isFile()) {
    fail(`not a file in this repository: ${arg}`);
  }
  return path;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(join(ROOT, path), "utf8"));
  } catch {
    return null;
  }
}

function testFiles() {
  const dir = join(ROOT, "tests");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name.endsWith(".test.ts")).sort().map((name) => `tests/${name}`);
}

/** The version npm is meant to install: the lockfile's, else an exact version in package.json. */
function pinnedVersion(name, lock, spec) {
  const locked = lock?.packages?.[`node_modules/${name}`]?.version;
  if (locked) return locked;
  return /^\d+\.\d+\.\d+$/.test(spec ?? "") ? spec : null;
}

function sameDependencies(a, b) {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** Why node_modules does not match package.json / package-lock.json, or null when it does. */
function installProblem(probes) {
  const pkg = readJson("package.json") ?? {};
  const lock = readJson("package-lock.json");
  const wanted = { ...pkg.dependencies, ...pkg.devDependencies };
  const lockRoot = lock?.packages?.[""];
  if (lock && !sameDependencies(wanted, { ...lockRoot?.dependencies, ...lockRoot?.devDependencies })) {
    return "package-lock.json does not match package.json";
  }
  for (const [name, spec] of Object.entries(wanted)) {
    const installed = readJson(`node_modules/${name}/package.json`)?.version;
    const pinned = pinnedVersion(name, lock, spec);
    if (!installed) return `${name} is not installed`;
    if (pinned && installed !== pinned) return `${name} ${installed} is installed but ${pinned} is pinned`;
  }
  // A broken override is the caller's binary: reinstalling node_modules cannot repair it.
  const broken = Object.entries(probes).find(([, probe]) => probe.problem && !probe.override);
  return broken ? `${broken[0]}: ${broken[1].problem}` : null;
}

function probeRuntime(name) {
  const override = process.env[`TSFTPD_${name.toUpperCase()}_BIN`];
  const bin = override || join(BIN_DIR, name);
  const pkg = readJson("package.json") ?? {};
  const pinned = override ? null : pinnedVersion(name, readJson("package-lock.json"), pkg.devDependencies?.[name]);
  const probe = { bin, override: Boolean(override) };
  const result = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 60_000, env: CHILD_ENV });
  if (result.error) return { ...probe, problem: `${bin} cannot run (${result.error.code ?? result.error.message})` };
  const version = `${result.stdout}`.trim().split("\n")[0];
  if (result.status !== 0) {
    const why = `${result.stderr}`.trim().split("\n")[0];
    return { ...probe, problem: `${bin} --version exited with ${result.status ?? result.signal}: ${why}` };
  }
  if (pinned && !new RegExp(`(^|[^\\d.])${pinned.replaceAll(".", "\\.")}($|[^\\d.])`).test(version)) {
    return { ...probe, version, problem: `${bin} is ${version}, not the pinned ${pinned}` };
  }
  return { ...probe, version };
}

function probeRuntimes(names) {
  return Object.fromEntries(names.map((name) => [name, probeRuntime(name)]));
}

function withoutOwnBinDir(env) {
  // npm ci deletes node_modules, so neither npm nor an install script may pick node_modules/.bin/node.
  const path = (env.PATH ?? "").split(delimiter).filter((entry) => resolve(entry) !== BIN_DIR);
  return { ...env, PATH: path.join(delimiter) };
}

/** Installs the runtimes when node_modules is missing or stale; returns the working binaries. */
function setupRuntimes(names, results) {
  let probes = probeRuntimes(names);
  const problem = installProblem(probes);
  if (problem) {
    const command = existsSync(join(ROOT, "package-lock.json")) ? "ci" : "install";
    // --ignore-scripts=false: the runtime packages fetch their binaries in install scripts, which a
    // user or global npmrc might otherwise switch off.
    const args = [command, "--ignore-scripts=false", "--no-audit", "--no-fund"];
    console.log(`setup: ${problem}; running npm ${args.join(" ")}`);
    const install = spawnSync("npm", args, { cwd: ROOT, stdio: "inherit", env: withoutOwnBinDir(process.env) });
    if (install.status !== 0) {
      const why = install.error?.message ?? `exit ${install.status ?? install.signal}`;
      results.push({ kind: "setup", label: "setup", failed: 1, note: `npm ${command}: ${why}` });
    }
    probes = probeRuntimes(names);
  }
  for (const [name, probe] of Object.entries(probes)) {
    console.log(probe.problem ? `setup: ${name} FAILED: ${probe.problem}` : `setup: ${name} ${probe.version} (${probe.bin})`);
  }
  return probes;
}

function commandWorks([command, ...args]) {
  return spawnSync(command, args, { stdio: "ignore", timeout: 60_000 }).status === 0;
}

function privilegePrefix() {
  if (process.getuid?.() === 0) return [];
  return commandWorks(["sudo", "-n", "true"]) ? ["sudo", "-n"] : null;
}

function runLoud(argv) {
  console.log(`setup: running ${argv.join(" ")}`);
  return spawnSync(argv[0], argv.slice(1), { stdio: "inherit" }).status === 0;
}

/** Makes sure every SYSTEM_TOOLS entry works, installing the missing ones with apt-get. */
function setupSystemTools(results) {
  let missing = SYSTEM_TOOLS.filter((tool) => !commandWorks(tool.probe));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((tool) => tool.apt))];
    const prefix = privilegePrefix();
    if (!commandWorks(["apt-get", "--version"])) {
      console.log(`setup: cannot install ${packages.join(" ")}: no apt-get on this machine`);
    } else if (!prefix) {
      console.log(`setup: cannot install ${packages.join(" ")}: not root and no passwordless sudo`);
    } else {
      const apt = [...prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"];
      if (runLoud([...apt, "update"])) runLoud([...apt, "install", "-y", "--no-install-recommends", ...packages]);
    }
    missing = SYSTEM_TOOLS.filter((tool) => !commandWorks(tool.probe));
  }
  for (const tool of missing) {
    console.log(`setup: FAILED: ${tool.name} is missing (\`${tool.probe.join(" ")}\` failed; Debian package ${tool.apt})`);
    results.push({ kind: "setup", label: "setup", failed: 1, note: `${tool.name} is missing` });
  }
  if (missing.length === 0) console.log(`setup: ${SYSTEM_TOOLS.map((tool) => tool.name).join(", ")}: ok`);
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Runs a command with its output streamed to ours, and keeps the tail for parsing. */
function run(bin, args, timeoutMs) {
  console.log(`\n$ ${[bin, ...args].join(" ")}`);
  return new Promise((done) => {
    let output = "";
    let timedOut = false;
    let escalation;
    const child = spawn(bin, args, { cwd: ROOT, env: CHILD_ENV, stdio: ["ignore", "pipe", "pipe"], detached: true });
    activeChild = child;
    for (const [stream, sink] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        sink.write(chunk);
        output = (output + chunk).slice(-KEEP_OUTPUT_CHARS);
      });
    }
    const timer = setTimeout(() => {
      timedOut = true;
      console.log(`\n${bin}: timed out after ${timeoutMs / 60_000} minutes, killing it`);
      killGroup(child, "SIGTERM");
      escalation = setTimeout(() => killGroup(child, "SIGKILL"), 10_000);
    }, timeoutMs);
    const finish = (why) => {
      clearTimeout(timer);
      clearTimeout(escalation);
      activeChild = null;
      done({ why: timedOut ? "timed out" : why, output: stripAnsi(output) });
    };
    child.on("error", (error) => finish(error.message));
    child.on("close", (code, signal) => finish(code === 0 ? null : `exit ${code ?? signal}`));
  });
}

function stripAnsi(text) {
  // deno-lint-ignore no-control-regex -- ESC is exactly what has to go.
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "");
}

/** The number in the last line matching `pattern` (whose group 1 is the number), else null. */
function lastCount(text, pattern) {
  let count = null;
  for (const match of text.matchAll(pattern)) count = Number(match[1]);
  return count;
}

function parseNode(text) {
  const count = (word) => lastCount(text, new RegExp(`^\\s*[ℹ#] ${word} (\\d+)\\s*$`, "gmu"));
  if (count("pass") === null) return null;
  return {
    passed: count("pass"),
    failed: (count("fail") ?? 0) + (count("cancelled") ?? 0),
    skipped: (count("skipped") ?? 0) + (count("todo") ?? 0),
  };
}

function parseDeno(text) {
  const summary = text.match(/^(?:ok|FAILED) \| .*$/gm)?.pop();
  if (!summary) return null;
  const count = (word) => Number(summary.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  return { passed: count("passed"), failed: count("failed"), skipped: count("ignored") };
}

function parseBun(text) {
  const count = (word) => lastCount(text, new RegExp(`^\\s*(\\d+) ${word}\\s*$`, "gm"));
  if (count("pass") === null) return null;
  return {
    passed: count("pass"),
    failed: count("fail") ?? 0,
    skipped: (count("skip") ?? 0) + (count("todo") ?? 0),
  };
}

/** Counts a finished run; a run that failed without a failed test (crash, timeout) counts as one. */
function tally(label, outcome, parse) {
  const counts = parse(outcome.output);
  if (!counts) return { kind: "runtime", label, failed: 1, note: outcome.why ?? "no test summary found" };
  const failed = outcome.why && counts.failed === 0 ? 1 : counts.failed;
  return { kind: "runtime", label, ...counts, failed, note: outcome.why, total: counts.passed + counts.failed + counts.skipped };
}

async function staticChecks(deno, timeoutMs, results) {
  const scripts = readdirSync(join(ROOT, "scripts")).filter((name) => name.endsWith(".ts")).map((name) => `scripts/${name}`);
  const checks = [
    // --doc also type-checks every JSDoc @example and the README's TypeScript blocks, so they cannot rot.
    ["deno check", ["check", "--doc", "mod.ts", "src/", "tests/", "examples/", ...scripts, "README.md"]],
    ["deno lint", ["lint", "mod.ts", "src/", "tests/", "examples/", "scripts/"]],
    ["deno doc --lint", ["doc", "--lint", "mod.ts"]],
    // The package as JSR would take it (slow types, excluded files); dirty trees are fine locally.
    ["deno publish --dry-run", ["publish", "--dry-run", "--allow-dirty"]],
  ];
  for (const [label, args] of checks) {
    if (deno.problem) {
      results.push({ kind: "check", label, failed: 1, note: "deno is not runnable" });
    } else {
      const outcome = await run(deno.bin, args, timeoutMs);
      results.push({ kind: "check", label, passed: outcome.why ? 0 : 1, failed: outcome.why ? 1 : 0, note: outcome.why });
    }
  }
}

async function runTests(name, probe, files, timeoutMs, results) {
  if (probe.problem) {
    results.push({ kind: "runtime", label: name, failed: 1, note: "not runnable" });
    return;
  }
  const runner = RUNNERS[name];
  const outcome = await run(probe.bin, runner.args(files), timeoutMs);
  results.push(tally(name, outcome, runner.parse));
}

function describe({ passed = 0, failed = 0, skipped = 0 }) {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
}

function report(results) {
  console.log("\n==== summary");
  for (const result of results) {
    const outcome = result.kind === "runtime" ? describe(result) : result.failed ? "FAILED" : "passed";
    console.log(`${result.label}: ${outcome}${result.note ? ` (${result.note})` : ""}`);
  }
  // Tests are top-level only so that every runner counts alike; a gap means a runner lost some.
  const counted = results.filter((result) => result.total !== undefined);
  if (new Set(counted.map((result) => result.total)).size > 1) {
    const totals = counted.map((result) => `${result.label} ${result.total}`).join(", ");
    console.log(`warning: the runtimes ran different numbers of tests: ${totals}`);
  }
  const sum = (key) => results.reduce((total, result) => total + (result[key] ?? 0), 0);
  const total = { passed: sum("passed"), failed: sum("failed"), skipped: sum("skipped") };
  console.log(describe(total));
  return total.failed === 0 ? 0 : 1;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const timeoutMs = options.timeoutMinutes * 60_000;
  const files = options.files.length > 0 ? options.files : testFiles();
  const results = [];
  const needed = RUNTIMES.filter((name) => options.runtimes.includes(name) || (options.check && name === "deno"));
  const probes = setupRuntimes(needed, results);
  setupSystemTools(results);
  if (options.check) await staticChecks(probes.deno, timeoutMs, results);
  if (files.length === 0) console.log("no test files in tests/ yet");
  for (const name of files.length > 0 ? options.runtimes : []) {
    await runTests(name, probes[name], files, timeoutMs, results);
  }
  process.exitCode = report(results);
}

for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.on(signal, () => {
    if (activeChild) killGroup(activeChild, "SIGTERM");
    process.exit(status);
  });
}

await main();
