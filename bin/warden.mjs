#!/usr/bin/env node
// The warden CLI. Its code is TypeScript, run by Node's built-in type stripping (Node >= 22.18).
import process from "node:process";

if (!process.features.typescript) {
  process.stderr.write(
    `warden needs Node 22.18 or newer (this is ${process.version}); run it with npx warden, which uses the project's Node.\n`,
  );
  process.exit(2);
}

const { main } = await import("../src/cli/main.ts");
process.exitCode = main(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  cwd: process.cwd(),
});
