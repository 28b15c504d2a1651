/** The `warden` command line: check, explain, key, help. No framework: node:util parseArgs. */

import { parseArgs } from "node:util";
import { check, explain, type Io, key } from "./commands.ts";

/** The usage text printed by `warden help`. */
export const USAGE = `warden — the mcp-warden policy tool

usage:
  warden check [--dir policies]
      Validate and compile the policy files; print every rule, its limit and the
      RATE_LIMIT_<ID> variable that overrides it, and the policy hash. RATE_LIMIT_*
      variables in the environment are applied and checked too.
  warden explain <tool> [--args JSON] [--agent NAME] [--dir policies]
      Show each rule whose pattern matches <tool>, whether its conditions held,
      and the final decision with its reason and limits. --agent defaults to anonymous.
  warden key <agent-name>
      Generate a random key for an agent; print it once, and the AGENT_KEYS entry
      (the key's SHA-256) to add to the secret.
  warden help
      Show this text.

exit status: 0 ok, 1 the policy (or a RATE_LIMIT_* variable) is invalid, 2 usage error.`;

/** Runs one command line (without "node warden") and returns the exit status. */
export function main(argv: readonly string[], io: Io): number {
  const [command, ...rest] = argv;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const dir = values.dir ?? "policies";
  switch (command) {
    case "check":
      if (positionals.length > 0) return usage(io, `check takes no arguments, got ${positionals.join(" ")}`);
      return check(dir, io);
    case "explain":
      if (positionals.length !== 1) return usage(io, "explain needs exactly one tool name");
      return explain(positionals[0] as string, values.args, values.agent ?? "anonymous", dir, io);
    case "key":
      if (positionals.length !== 1) return usage(io, "key needs exactly one agent name");
      return key(positionals[0] as string, io);
    case "help":
    case "--help":
    case "-h":
      io.out(USAGE);
      return 0;
    default:
      return usage(
        io,
        command === undefined ? "no command given" : `unknown command ${JSON.stringify(command)}`,
      );
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { dir: { type: "string" }, args: { type: "string" }, agent: { type: "string" } },
  });
}

function usage(io: Io, problem: string): number {
  io.err(`${problem}\n\n${USAGE}`);
  return 2;
}
