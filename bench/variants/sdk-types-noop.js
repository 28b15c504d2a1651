/** Profiling shim for the SDK import of src/stages/parse.ts: no zod shape check (prices it). */
export const JSONRPCMessageSchema = { safeParse: () => ({ success: true }) };
