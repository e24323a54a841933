import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { detectUserData } from '../../src/cloudinit/detect.js';

const detect = (text: string | Buffer) => detectUserData(Buffer.isBuffer(text) ? text : Buffer.from(text), 'in.txt');

function inputError(action: () => unknown): InputError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('detectUserData: the kinds cloud-init tells apart', () => {
  it.each([
    ['#cloud-config\nhostname: a\n', 'cloud-config', 'text/cloud-config'],
    ['#cloud-config-archive\n- content: x\n', 'cloud-config-archive', 'text/cloud-config-archive'],
    ['#cloud-config-jsonp\n[]\n', 'cloud-config-jsonp', 'text/cloud-config-jsonp'],
    ['#include\nhttps://example.com/a\n', 'include', 'text/x-include-url'],
    ['#include-once\nhttps://example.com/a\n', 'include-once', 'text/x-include-once-url'],
    ['## template: jinja\n#cloud-config\n', 'jinja', 'text/jinja2'],
    ['#!/bin/sh\necho hi\n', 'shellscript', 'text/x-shellscript'],
    ['#cloud-boothook\necho hi\n', 'boothook', 'text/cloud-boothook'],
    ['#part-handler\ndef list_types(): pass\n', 'part-handler', 'text/part-handler'],
    // Like cloud-init: case-insensitive, leading whitespace ignored.
    ['\n\n  #Cloud-Config\nhostname: a\n', 'cloud-config', 'text/cloud-config'],
  ])('%j is %s', (text, kind, contentType) => {
    expect(detect(text)).toMatchObject({ kind, contentType });
  });

  it('sees gzip by its magic bytes', () => {
    expect(detect(gzipSync('#cloud-config\n'))).toEqual({ kind: 'gzip' });
  });

  it('sees MIME only with MIME-Version in the first 4096 bytes, as cloud-init does', () => {
    const mime = 'Content-Type: multipart/mixed; boundary="b"\nMIME-Version: 1.0\n\n--b\n\n#cloud-config\n--b--\n';
    expect(detect(mime).kind).toBe('mime');
    const late = `Content-Type: multipart/mixed; boundary="b"\nX-Pad: ${'x'.repeat(4100)}\nMIME-Version: 1.0\n\n--b--\n`;
    expect(inputError(() => detect(late)).message).toMatch(/no MIME-Version header in its first 4096 bytes/);
  });

  it('does not mistake a cloud-config that mentions MIME-Version for MIME', () => {
    expect(detect('#cloud-config\n# MIME-Version: 1.0 is discussed here\n').kind).toBe('cloud-config');
  });
});

describe('detectUserData: input cloud-init would ignore is refused', () => {
  it('MIME without MIME-Version', () => {
    const error = inputError(() => detect('Content-Type: multipart/mixed; boundary="b"\n\n--b\n\n#cloud-config\n--b--\n'));
    expect(error.message).toBe('in.txt: looks like a MIME message but has no MIME-Version header in its first 4096 bytes, so cloud-init would not read it as MIME and would ignore it');
    expect(error.hint).toBe('Add "MIME-Version: 1.0" to the top-level headers.');
  });

  it('YAML without the #cloud-config line, naming line 1 and the fix', () => {
    const error = inputError(() => detect('write_files:\n  - path: /x\n'));
    expect(error.message).toBe('in.txt:1:1: starts with "write_files:", which is not a user-data type cloud-init knows, so it would ignore the file');
    expect(error.hint).toMatch(/add "#cloud-config" as its first line/);
  });

  it('base64-encoded user-data', () => {
    const error = inputError(() => detect(Buffer.from('#cloud-config\nhostname: a\n').toString('base64')));
    expect(error.message).toMatch(/looks base64-encoded/);
    expect(error.hint).toMatch(/base64 -d/);
  });

  it('invalid UTF-8, naming the line and column', () => {
    const error = inputError(() => detect(Buffer.concat([Buffer.from('#cloud-config\nname: ab'), Buffer.from([0xff, 0x41])])));
    expect(error.message).toBe('in.txt:2:9: is not valid UTF-8 text (nor gzip), and cloud-init reads user-data as UTF-8');
  });

  it('a byte-order mark', () => {
    expect(inputError(() => detect('\uFEFF#cloud-config\n')).message).toMatch(/^in.txt:1:1: starts with a byte-order mark/);
  });

  it('an empty file', () => {
    expect(inputError(() => detect(' \n\n')).message).toBe('in.txt: is empty; there is nothing to merge the seed into');
  });
});
