// Secret option values never reach a message, a log line or OverlayConfig.value: `pass=` (clear
// text) and `pass_enc=` (ciphertext, shown as little as possible) become `<redacted>`.

export const REDACTED = '<redacted>';
export const SECRET_OPTIONS: readonly string[] = ['pass', 'pass_enc'];

// A value runs to the next comma (values cannot hold one), whatever else it contains.
const SECRET_VALUE = new RegExp(`(^|[^0-9A-Za-z_])(${SECRET_OPTIONS.join('|')})=[^,]*`, 'g');

/** Replace the value of every secret option in an overlayroot= value (or any text quoting one). */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_VALUE, (_match, before: string, name: string) => `${before}${name}=${REDACTED}`);
}
