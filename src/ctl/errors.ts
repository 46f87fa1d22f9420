// An error meant for the person at the terminal: the CLI prints its message as
// "Error: <message>" (istioctl's wording) and exits 1, without a stack trace.
export class CtlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CtlError';
  }
}
