// A secret value (passphrase, key) that cannot leak by accident: printing, JSON-encoding or
// string-interpolating it gives "<redacted>". The bytes are reachable only through reveal(),
// so every place that uses them is easy to find, and wipe() zeroes them when done.
import { inspect } from 'node:util';

export class Secret {
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  static fromString(text: string): Secret {
    return new Secret(Buffer.from(text, 'utf8'));
  }

  /** The bytes themselves. Hand them to a child's stdin or to node:crypto, never to a logger. */
  reveal(): Buffer {
    return this.#bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** Overwrite the bytes with zeros (best effort: copies made by others are out of reach). */
  wipe(): void {
    this.#bytes.fill(0);
  }

  toString(): string {
    return '<redacted>';
  }

  toJSON(): string {
    return '<redacted>';
  }

  [inspect.custom](): string {
    return `Secret(<redacted>, ${this.#bytes.length} bytes)`;
  }
}
