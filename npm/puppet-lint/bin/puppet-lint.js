#!/usr/bin/env node
// The `puppet-lint` command of the npm package: finds the binary of this
// platform in its optional dependency (one package per platform, the one npm
// installed for this os, cpu and libc) and runs it with the same arguments,
// stdin, stdout and stderr. It exits with the binary's exit code, or dies of
// the signal that ended it. Nothing is downloaded, now or at install time.
//
// PUPPET_LINT_BINARY=/path/to/puppet-lint runs that binary instead.
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const { platforms } = require("../platforms.json");
const { version } = require("../package.json");

/** "glibc" or "musl" on Linux (as npm's `libc` field names them), undefined elsewhere. */
function libc() {
  if (process.platform !== "linux") return undefined;
  try {
    // Node reports the glibc it runs on; a musl build of Node has none.
    const header = process.report && process.report.getReport().header;
    if (header) return header.glibcVersionRuntime ? "glibc" : "musl";
  } catch (_) {
    // fall through to the file system
  }
  try {
    return fs.readdirSync("/lib").some((name) => name.startsWith("ld-musl-")) ? "musl" : "glibc";
  } catch (_) {
    return "glibc";
  }
}

function describe(os, cpu, c) {
  return c ? `${os} ${cpu} (${c})` : `${os} ${cpu}`;
}

function fail(message) {
  process.stderr.write(`puppet-lint: ${message}\n`);
  process.exit(2);
}

function binary() {
  const override = process.env.PUPPET_LINT_BINARY;
  if (override) {
    if (!fs.existsSync(override)) fail(`PUPPET_LINT_BINARY is ${JSON.stringify(override)}, which does not exist.`);
    return override;
  }
  const os = process.platform;
  const cpu = process.arch;
  const c = libc();
  const platform = platforms.find((p) => p.os === os && p.cpu === cpu && (p.libc === undefined || p.libc === c));
  const others = [
    "Other ways to run it: `pipx run puppet-lint`, or build it with a Rust toolchain:",
    "`cargo install --locked --git <this repository>`; then set PUPPET_LINT_BINARY to the binary's path,",
    "or run it directly.",
  ].join("\n  ");
  if (!platform) {
    const known = platforms.map((p) => describe(p.os, p.cpu, p.libc)).join(", ");
    fail(`no prebuilt binary for ${describe(os, cpu, c)}; the npm package has one for ${known}.\n  ${others}`);
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${platform.package}/package.json`));
  } catch (_) {
    fail(
      [
        `the binary for ${describe(os, cpu, c)} comes in the package ${platform.package}@${version},`,
        "which is not installed. npm installs it as an optional dependency of puppet-lint: it is left out",
        "when optional dependencies are omitted (--omit=optional, --no-optional), when node_modules was",
        "installed on another platform and copied here, or when the lockfile was written on another platform",
        "by an old npm. Install again on this machine (rm -rf node_modules and npm install), or add it:",
        `\`npm install ${platform.package}@${version}\`.`,
        others,
      ].join("\n  "),
    );
  }
  const exe = path.join(dir, "bin", platform.exe);
  if (!fs.existsSync(exe)) fail(`${platform.package} is installed but has no ${path.join("bin", platform.exe)}; reinstall it.`);
  return exe;
}

const exe = binary();
const child = spawn(exe, process.argv.slice(2), { stdio: "inherit", windowsHide: false });

// A signal sent to this process (a CI runner's SIGTERM, a `kill`) goes on to
// puppet-lint, which stops and writes its reports. (A Ctrl-C in a terminal
// reaches both: puppet-lint acts on the first.)
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"];
const handlers = forwarded.map((signal) => {
  const handler = () => {
    try {
      child.kill(signal);
    } catch (_) {
      // the child is gone already
    }
  };
  process.on(signal, handler);
  return [signal, handler];
});

child.on("error", (error) => fail(`could not run ${exe}: ${error.message}`));
child.on("exit", (code, signal) => {
  for (const [name, handler] of handlers) process.removeListener(name, handler);
  if (signal) {
    // Die of the same signal, so a shell sees what the binary saw.
    process.kill(process.pid, signal);
    // Where that does not end it (a signal Node ignores, Windows): the shell's code for it.
    setTimeout(() => process.exit(128 + (os.constants.signals[signal] || 0)), 200).unref();
    return;
  }
  process.exit(code === null ? 1 : code);
});
