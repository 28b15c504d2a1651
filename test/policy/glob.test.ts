import { describe, expect, it } from "vitest";
import { decide } from "../../src/policy/evaluate.ts";
import { GLOB_FLAGS, globToRegExpSource, isGlob } from "../../src/policy/glob.ts";
import { HEAD, policyOf } from "./helpers.ts";

const matches = (pattern: string, name: string) =>
  new RegExp(globToRegExpSource(pattern), GLOB_FLAGS).test(name);

describe("globs", () => {
  it("* matches any run of characters, including none", () => {
    expect(matches("delete_*", "delete_user")).toBe(true);
    expect(matches("delete_*", "delete_")).toBe(true);
    expect(matches("delete_*", "undelete_user")).toBe(false);
    expect(matches("*_user", "create_user")).toBe(true);
    expect(matches("*", "")).toBe(true);
    expect(matches("a*b*c", "aXXbYc")).toBe(true);
    expect(matches("*", "line\nbreak")).toBe(true);
  });
  it("? matches exactly one character (one code point)", () => {
    expect(matches("v?", "v1")).toBe(true);
    expect(matches("v?", "v")).toBe(false);
    expect(matches("v?", "v12")).toBe(false);
    expect(matches("v?", "v😀")).toBe(true);
  });
  it("escapes regex metacharacters, so names like a.b and a+b match only themselves", () => {
    expect(matches("a.b*", "a.bc")).toBe(true);
    expect(matches("a.b*", "aXbc")).toBe(false);
    expect(matches("a+b?", "a+bc")).toBe(true);
    expect(matches("a+b?", "aab1")).toBe(false);
    for (const name of ["(x)", "[x]", "{1}", "x|y", "^x$", "a\\b", "a/b", "a-b"]) {
      expect(matches(`${name}*`, name), name).toBe(true);
    }
    expect(matches("x|y*", "y")).toBe(false);
  });
  it("tells globs from exact names", () => {
    expect(isGlob("reboot_*")).toBe(true);
    expect(isGlob("v?")).toBe(true);
    expect(isGlob("a.b")).toBe(false);
  });
});

describe("tool names are compared by exact code points", () => {
  const policy = policyOf(
    `${HEAD}  delete_broker: { action: deny }\n  "reboot_*": { action: require_approval }\n`,
  );
  const decideTool = (tool: string) => decide(policy, { tool, args: {}, agent: "a" }).action;

  it("a Cyrillic look-alike is another tool", () => {
    const lookAlike = "delete_broker".replace("a", "\u0430"); // no "a" in delete_broker: use "e"
    expect(decideTool("delete_broker")).toBe("deny");
    expect(decideTool("d\u0435lete_broker")).toBe("allow"); // Cyrillic е
    expect(lookAlike).toBe("delete_broker");
    expect(decideTool("reboot_broker")).toBe("require_approval");
    expect(decideTool("reboot_brok\u0435r")).toBe("require_approval");
    expect(decideTool("r\u0435boot_broker")).toBe("allow");
  });
  it("does not fold case or normalize", () => {
    expect(decideTool("Delete_broker")).toBe("allow");
    expect(decideTool("DELETE_BROKER")).toBe("allow");
    const composed = policyOf(`${HEAD}  "caf\u00e9": { action: deny }\n`);
    expect(decide(composed, { tool: "caf\u00e9", args: {}, agent: "a" }).action).toBe("deny");
    expect(decide(composed, { tool: "cafe\u0301", args: {}, agent: "a" }).action).toBe("allow");
  });
  it("judges Latin and Cyrillic a differently", () => {
    const both = policyOf(`${HEAD}  "transfer_a": { action: deny }\n`);
    expect(decide(both, { tool: "transfer_a", args: {}, agent: "x" }).action).toBe("deny");
    expect(decide(both, { tool: "transfer_\u0430", args: {}, agent: "x" }).action).toBe("allow");
  });
});
