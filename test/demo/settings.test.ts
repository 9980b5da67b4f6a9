/** The demo document API's own settings, read from the environment (examples/document-api/README.md). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DocumentApiSettingsError, readDocumentApiSettings } from '@gatehouse-auth/example-document-api';

const LOOPBACK = 'http://127.0.0.1:8080';
const PUBLIC = 'https://auth.example.com';

describe('demo API: settings', () => {
  it('serves the demo API by default on loopback only, unless told otherwise', () => {
    assert.equal(readDocumentApiSettings({}, LOOPBACK).enabled, true);
    assert.equal(readDocumentApiSettings({}, PUBLIC).enabled, false);
    assert.equal(readDocumentApiSettings({ GATEHOUSE_DEMO_API: 'true' }, PUBLIC).enabled, true);
    assert.equal(readDocumentApiSettings({ GATEHOUSE_DEMO_API: 'false' }, LOOPBACK).enabled, false);
    for (const issuer of ['http://localhost:8080', 'http://[::1]:8080', 'http://127.1.2.3']) assert.equal(readDocumentApiSettings({}, issuer).enabled, true, issuer);
  });

  it('reads true/false the way the server reads its booleans, and an empty variable as unset', () => {
    for (const value of ['1', 'yes', 'ON', 'True']) assert.equal(readDocumentApiSettings({ GATEHOUSE_DEMO_API: value }, PUBLIC).enabled, true, value);
    for (const value of ['0', 'no', 'off', 'FALSE']) assert.equal(readDocumentApiSettings({ GATEHOUSE_DEMO_API: value }, LOOPBACK).enabled, false, value);
    assert.deepEqual(readDocumentApiSettings({ GATEHOUSE_DEMO_API: '', GATEHOUSE_DEMO_MAX_UPLOAD_BYTES: '' }, LOOPBACK), { enabled: true, maxUploadBytes: 10 * 1024 * 1024 });
  });

  it('refuses invalid values, naming the variable', () => {
    const refuses = (env: Record<string, string>, variable: string) =>
      assert.throws(() => readDocumentApiSettings(env, LOOPBACK), (error: unknown) => error instanceof DocumentApiSettingsError && error.message.includes(variable));
    refuses({ GATEHOUSE_DEMO_API: 'maybe' }, 'GATEHOUSE_DEMO_API');
    for (const value of ['0', '-1', '1.5', '10MB', '99999999999999999999']) refuses({ GATEHOUSE_DEMO_MAX_UPLOAD_BYTES: value }, 'GATEHOUSE_DEMO_MAX_UPLOAD_BYTES');
  });
});
