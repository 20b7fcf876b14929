#!/usr/bin/env node
// Keeps every version of the packages in step with Cargo.toml's, the one
// place a version is written (pyproject.toml reads it from there itself).
//
//   node npm/version.mjs check   exits 1, naming each difference, when the npm
//                                launcher's version, its optional dependencies
//                                or the release workflow's targets drift from
//                                Cargo.toml and npm/puppet-lint/platforms.json
//   node npm/version.mjs sync    writes Cargo.toml's version into the launcher's
//                                package.json and its optional dependencies
//   node npm/version.mjs print   prints Cargo.toml's version
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const launcherPath = join(root, "npm", "puppet-lint", "package.json");
const workflowPath = join(root, ".github", "workflows", "release.yml");

/** The `version` of Cargo.toml's [package] table. */
export function cargoVersion() {
  const text = readFileSync(join(root, "Cargo.toml"), "utf8");
  const table = text.split(/^\[/m).find((section) => section.startsWith("package]"));
  const match = table && table.match(/^version\s*=\s*"([^"]+)"/m);
  if (!match) throw new Error("Cargo.toml has no [package] version");
  return match[1];
}

export function platforms() {
  return JSON.parse(readFileSync(join(root, "npm", "puppet-lint", "platforms.json"), "utf8")).platforms;
}

function wanted(version) {
  const launcher = JSON.parse(readFileSync(launcherPath, "utf8"));
  launcher.version = version;
  launcher.optionalDependencies = Object.fromEntries(
    platforms()
      .map((p) => p.package)
      .sort()
      .map((name) => [name, version]),
  );
  return launcher;
}

function check() {
  const version = cargoVersion();
  const problems = [];
  const launcher = JSON.parse(readFileSync(launcherPath, "utf8"));
  const want = wanted(version);
  if (launcher.version !== version) {
    problems.push(`npm/puppet-lint/package.json: version ${launcher.version}, Cargo.toml's is ${version}`);
  }
  const have = launcher.optionalDependencies || {};
  for (const [name, v] of Object.entries(want.optionalDependencies)) {
    if (have[name] === undefined) problems.push(`npm/puppet-lint/package.json: no optional dependency ${name}`);
    else if (have[name] !== v) problems.push(`npm/puppet-lint/package.json: ${name} at ${have[name]}, want ${v}`);
  }
  for (const name of Object.keys(have)) {
    if (want.optionalDependencies[name] === undefined) {
      problems.push(`npm/puppet-lint/package.json: optional dependency ${name} is in no row of platforms.json`);
    }
  }
  let workflow = "";
  try {
    workflow = readFileSync(workflowPath, "utf8");
  } catch {
    problems.push(".github/workflows/release.yml is missing");
  }
  for (const p of platforms()) {
    if (workflow && !workflow.includes(`target: ${p.target}`)) {
      problems.push(`.github/workflows/release.yml builds no ${p.target} (the binary of ${p.package})`);
    }
  }
  if (problems.length > 0) {
    console.error(`versions out of step with Cargo.toml (${version}); \`node npm/version.mjs sync\` mends the npm ones:`);
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.log(`npm/puppet-lint and ${platforms().length} platform packages at ${version}, as Cargo.toml`);
}

function sync() {
  const version = cargoVersion();
  writeFileSync(launcherPath, `${JSON.stringify(wanted(version), null, 2)}\n`);
  console.log(`npm/puppet-lint/package.json set to ${version}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === "check") check();
  else if (command === "sync") sync();
  else if (command === "print") console.log(cargoVersion());
  else {
    console.error("usage: node npm/version.mjs check|sync|print");
    process.exit(2);
  }
}
