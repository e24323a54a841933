// Open or format? Decided at boot from what is on the device, by this pure table. The rules protect
// data: an ephemeral (generated-key) boot only ever replaces a blank device or a volume that earlier
// ephemeral boots made; a persistent (given-key) boot opens its volume and formats only a blank
// device; a failed open never leads to a format (the executor reports it and applies the policy).

export const EPHEMERAL_LABEL = 'oroot-ephemeral';
export const PERSISTENT_LABEL = 'oroot-persistent';

/** What a low-level probe (blkid -p) found on the device. */
export type DeviceContent =
  | { readonly kind: 'blank' }
  | { readonly kind: 'luks'; readonly version: string | undefined; readonly label: string | undefined }
  /** Any other signature: a filesystem, a partition table, swap, RAID… `signature` says which. */
  | { readonly kind: 'other'; readonly signature: string };

export interface CryptDecisionInput {
  readonly keyOrigin: 'generated' | 'given';
  readonly mkfs: 0 | 1 | 2;
  readonly content: DeviceContent;
}

export type CryptDecision =
  | { readonly action: 'format'; readonly reason: string }
  | { readonly action: 'open'; readonly reason: string }
  | { readonly action: 'refuse'; readonly reason: string; readonly hint: string };

export function decideCryptAction({ keyOrigin, mkfs, content }: CryptDecisionInput): CryptDecision {
  return keyOrigin === 'generated' ? decideEphemeral(mkfs, content) : decidePersistent(mkfs, content);
}

function decideEphemeral(mkfs: 0 | 1 | 2, content: DeviceContent): CryptDecision {
  if (mkfs === 0) {
    return refuse('mkfs=0 but no key was given: a volume with a generated key must be formatted on every boot', 'Remove mkfs=0, or give a key (keyfile=…) for a persistent volume.');
  }
  if (mkfs === 2) return { action: 'format', reason: `mkfs=2: formatting regardless of what is on the device (${describe(content)})` };
  switch (content.kind) {
    case 'blank':
      return { action: 'format', reason: 'the device is blank' };
    case 'luks':
      if (content.label === PERSISTENT_LABEL) {
        return refuse(
          `the device holds a persistent oroot volume (LUKS label ${PERSISTENT_LABEL}); a generated key would destroy it`,
          'Give the volume its key (keyfile=…), or set mkfs=2 to reformat it on purpose.',
        );
      }
      return { action: 'format', reason: `the device holds a ${content.label ? `LUKS volume labelled ${content.label}` : 'LUKS volume without a label'} from an earlier ephemeral boot` };
    case 'other':
      return refuse(`the device holds ${content.signature}; refusing to overwrite data`, 'Wipe the device yourself (wipefs -a) if it really is meant for the overlay, or set mkfs=2.');
  }
}

function decidePersistent(mkfs: 0 | 1 | 2, content: DeviceContent): CryptDecision {
  switch (content.kind) {
    case 'luks':
      return { action: 'open', reason: `the device holds a LUKS${content.version ?? ''} volume${content.label ? ` labelled ${content.label}` : ''}` };
    case 'blank':
      if (mkfs === 0) return refuse('the device is blank and mkfs=0 forbids formatting it', 'Create the volume by hand (see docs/boot.md), or remove mkfs=0.');
      return { action: 'format', reason: `the device is blank (mkfs=${mkfs})` };
    case 'other':
      if (mkfs === 2) return { action: 'format', reason: `mkfs=2: replacing ${content.signature} with a new volume` };
      return refuse(`the device holds ${content.signature}, not a LUKS volume; refusing to overwrite data`, 'Point dev= at the right device, or set mkfs=2 to replace what is on it.');
  }
}

function refuse(reason: string, hint: string): CryptDecision {
  return { action: 'refuse', reason, hint };
}

export function describe(content: DeviceContent): string {
  switch (content.kind) {
    case 'blank':
      return 'blank';
    case 'luks':
      return `LUKS${content.version ?? ''}${content.label ? ` volume labelled ${content.label}` : ' volume'}`;
    case 'other':
      return content.signature;
  }
}
