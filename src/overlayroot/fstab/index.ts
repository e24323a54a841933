// The fstab of the overlay root: full fstab(5) parsing and the rewrite the boot stage writes into
// the upper layer (docs/fstab.md).
export { parseFstab, encodeField, type FstabLine, type FstabEntry } from './parse.js';
export { rewriteFstab, HEADER, type RewriteOptions, type RewriteResult } from './rewrite.js';
export { mountDirName, nestedOverlayDirs } from './layout.js';
export { classifyEntry, familyOf, type Treatment, type Family } from './classify.js';
