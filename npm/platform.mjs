#!/usr/bin/env node
// Lays out the npm package that carries one platform's binary:
//
//   node npm/platform.mjs TARGET BINARY OUT_DIR
//
// TARGET is a Rust target of npm/puppet-lint/platforms.json, BINARY the
// puppet-lint binary built for it. OUT_DIR gets package.json (named, with its
// os, cpu and libc, from the table; versioned as Cargo.toml), bin/<exe> and a
// README; `npm pack OUT_DIR` makes the tarball. No install script: npm puts
// the file in place, and only on the platform it fits.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cargoVersion, platforms } from "./version.mjs";

const [target, binary, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node npm/platform.mjs TARGET BINARY OUT_DIR");
  process.exit(2);
}
const platform = platforms().find((p) => p.target === target);
if (!platform) {
  console.error(`npm/platform.mjs: ${target} is no target of npm/puppet-lint/platforms.json`);
  process.exit(2);
}
const version = cargoVersion();
const manifest = {
  name: platform.package,
  version,
  description: `The puppet-lint binary for ${platform.os} ${platform.cpu}${platform.libc ? ` (${platform.libc})` : ""}; install puppet-lint, which picks it`,
  license: "Apache-2.0",
  os: [platform.os],
  cpu: [platform.cpu],
  ...(platform.libc ? { libc: [platform.libc] } : {}),
  files: [`bin/${platform.exe}`],
  preferUnplugged: true,
};
mkdirSync(join(out, "bin"), { recursive: true });
writeFileSync(join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
writeFileSync(
  join(out, "README.md"),
  `# ${platform.package}\n\nThe \`puppet-lint\` binary for ${platform.target}. Install \`puppet-lint\` instead: it depends on this package\n(optionally, for this platform only) and runs the binary.\n`,
);
const exe = join(out, "bin", platform.exe);
copyFileSync(binary, exe);
chmodSync(exe, 0o755);
console.log(`${platform.package}@${version} laid out in ${out}`);
