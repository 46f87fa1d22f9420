// Node's `_http_common` module (the llhttp binding node:http uses) has no public
// typings; skein declares the part it uses.
declare module '_http_common' {
  export const HTTPParser: {
    new (): unknown;
    REQUEST: number;
    RESPONSE: number;
  } & Record<string, unknown>;
  export const methods: string[];
}
