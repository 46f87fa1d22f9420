// Strict option parsing for every `skein` command: node's parseArgs, with its error
// (unknown option, missing value) returned as text so each command can print it
// with its own usage and exit 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends Options>(args: string[], options: O, allowPositionals = true) {
  try {
    return { ok: true as const, ...parseArgs({ args, options, strict: true, allowPositionals }) };
  } catch (err) {
    return { ok: false as const, error: (err as Error).message };
  }
}
