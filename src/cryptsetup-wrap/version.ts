// Version numbers as the machine reports them: "cryptsetup 2.6.1 flags: UDEV …" and kernel
// releases such as "6.1.0-53-cloud-amd64". Only the leading numeric parts matter for our checks.

export type VersionParts = readonly [number, number, number];

/** The first "N.N[.N]" in `text`, as three numbers (missing parts are 0); undefined when there is none. */
export function parseVersion(text: string): VersionParts | undefined {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** True when `text` holds a version at or above `minimum` ("2.3.4"). Unparseable text is never new enough. */
export function versionAtLeast(text: string, minimum: string): boolean {
  const have = parseVersion(text);
  const need = parseVersion(minimum);
  if (!have || !need) return false;
  for (let i = 0; i < 3; i++) {
    if (have[i]! !== need[i]!) return have[i]! > need[i]!;
  }
  return true;
}
