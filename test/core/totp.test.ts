/** TOTP (RFC 6238) and HOTP (RFC 4226) against the RFCs' own test vectors, and base32 (RFC 4648). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base32Decode, base32Encode, hotp, matchTotpStep, otpauthUri, totpCode, totpStep } from '../../packages/server/src/core/totp.js';

const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

describe('TOTP', () => {
  it('matches the RFC 4226 Appendix D HOTP values', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expected.forEach((code, counter) => assert.equal(hotp(RFC_SECRET, counter), code));
  });

  it('matches the RFC 6238 Appendix B SHA-1 vectors (8 digits)', () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) assert.equal(totpCode(RFC_SECRET, seconds * 1000, 8), code, `T=${seconds}`);
  });

  it('accepts the current step and one step either side, and nothing further', () => {
    const now = 1_700_000_000_000;
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) assert.equal(matchTotpStep(RFC_SECRET, totpCode(RFC_SECRET, now + offset * 30_000), now), step + offset);
    for (const offset of [-2, 2]) assert.equal(matchTotpStep(RFC_SECRET, totpCode(RFC_SECRET, now + offset * 30_000), now), undefined);
    assert.equal(matchTotpStep(RFC_SECRET, '', now), undefined);
    assert.equal(matchTotpStep(RFC_SECRET, 'abcdef', now), undefined);
    const code = totpCode(RFC_SECRET, now);
    assert.equal(matchTotpStep(RFC_SECRET, `${code.slice(0, 3)} ${code.slice(3)}`, now), step, 'spaces are ignored');
  });

  it('encodes base32 as RFC 4648 §10 does (without padding) and decodes it back', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']];
    for (const [text, encoded] of vectors) {
      assert.equal(base32Encode(Buffer.from(text)), encoded);
      assert.equal(base32Decode(encoded)?.toString(), text);
      assert.equal(base32Decode(encoded.toLowerCase() + '======')?.toString(), text);
    }
    assert.equal(base32Decode('not base32!'), undefined);
  });

  it('builds an otpauth URI with the issuer, account and parameters', () => {
    const uri = new URL(otpauthUri(RFC_SECRET, 'Gatehouse (auth.example.com)', 'ops@example.com'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), base32Encode(RFC_SECRET));
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('issuer'), 'Gatehouse (auth.example.com)');
  });
});
