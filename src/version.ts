// The package version, for `oroot --version`, the state file and the .deb. A unit test keeps it
// equal to package.json's, so a release bump cannot forget it.
export const VERSION = '0.1.0';
