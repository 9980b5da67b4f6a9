/**
 * The demo document API's own file store (examples/document-api/src/store.ts): its SQLite
 * file, created by itself. A tenant is its slug (the tokens' `tenant` claim).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileConflictError, FileStoreUnavailableError, openFileStore, type FileStore, type NewFile } from '@gatehouse-auth/example-document-api';
import { rejectsWith } from '../helpers/assertions.js';

const T0 = Date.UTC(2026, 0, 15, 9, 30);

const newFile = (overrides: Partial<NewFile> = {}): NewFile => ({
  id: randomUUID(),
  name: 'Vertrag – signed “final”.pdf',
  size: 5_000_000_000, // beyond 32 bits: a bigint column
  contentType: 'application/pdf',
  ...overrides,
});

describe('document API file store (SQLite)', () => {
  let dir: string;
  let files: FileStore;
  let now = T0;
  const tenantA = 'tenant-a';
  const tenantB = 'tenant-b';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-files-'));
    files = openFileStore(join(dir, 'document-api', 'files.db'), { clock: () => now });
  });
  after(() => {
    files?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('createFile returns the file created now, unpublished, and findFile round-trips every field', async () => {
    now = T0 + 1_000;
    const input = newFile();
    const created = await files.createFile(tenantA, input);
    const expected = { id: input.id, tenant: tenantA, name: input.name, size: input.size, contentType: input.contentType, createdAt: T0 + 1_000, publicId: null };
    assert.deepEqual(created, expected);
    assert.deepEqual(await files.findFile(tenantA, input.id), expected);
  });

  it('a file created in tenant A is invisible from tenant B: find, list, delete, publish and unpublish all miss', async () => {
    const input = newFile();
    await files.createFile(tenantA, input);
    assert.equal(await files.findFile(tenantB, input.id), undefined);
    assert.ok(!(await files.listFiles(tenantB)).some((file) => file.id === input.id));
    assert.equal(await files.publishFile(tenantB, input.id, randomUUID()), undefined);
    assert.equal(await files.unpublishFile(tenantB, input.id), false);
    assert.equal(await files.deleteFile(tenantB, input.id), false);
    const kept = await files.findFile(tenantA, input.id);
    assert.ok(kept, 'the file is still there for its own tenant');
    assert.equal(kept.publicId, null, "tenant B's publish attempt changed nothing");
  });

  it('listFiles lists one tenant only, oldest first, ties broken by id', async () => {
    const tenant = 'tenant-list';
    const other = 'tenant-list-other';
    assert.deepEqual(await files.listFiles(tenant), []);
    now = T0 + 20_000;
    const late = await files.createFile(tenant, newFile({ name: 'late' }));
    now = T0 + 10_000;
    const tieA = await files.createFile(tenant, newFile({ id: `ffff${randomUUID().slice(4)}`, name: 'tie-2' }));
    const tieB = await files.createFile(tenant, newFile({ id: `0000${randomUUID().slice(4)}`, name: 'tie-1' }));
    await files.createFile(other, newFile({ name: 'elsewhere' }));
    assert.deepEqual(await files.listFiles(tenant), [tieB, tieA, late]);
  });

  it('a duplicate id fails with ConflictError, in the same or another tenant, and writes nothing', async () => {
    const input = newFile({ name: 'original' });
    await files.createFile(tenantA, input);
    await rejectsWith(files.createFile(tenantA, { ...input, name: 'copy' }), FileConflictError);
    await rejectsWith(files.createFile(tenantB, { ...input, name: 'copy' }), FileConflictError);
    assert.equal((await files.findFile(tenantA, input.id))?.name, 'original');
    assert.equal(await files.findFile(tenantB, input.id), undefined);
  });

  it('creates its database file (mode 0600) in its own directory (mode 0700) under the data directory, and opens it again', async () => {
    assert.equal(statSync(join(dir, 'document-api')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'document-api', 'files.db')).mode & 0o777, 0o600);
    const input = newFile();
    await files.createFile(tenantA, input);
    const again = openFileStore(join(dir, 'document-api', 'files.db'));
    try {
      assert.equal((await again.findFile(tenantA, input.id))?.name, input.name, 'a second connection (another server) sees the file');
    } finally {
      again.close();
    }
  });

  it('deleteFile removes the file once: true, then false; the other files stay', async () => {
    const gone = await files.createFile(tenantA, newFile());
    const kept = await files.createFile(tenantA, newFile());
    assert.equal(await files.deleteFile(tenantA, gone.id), true);
    assert.equal(await files.findFile(tenantA, gone.id), undefined);
    assert.equal(await files.deleteFile(tenantA, gone.id), false);
    assert.deepEqual(await files.findFile(tenantA, kept.id), kept);
  });

  it('publishFile sets the public id once: publishing again returns the first public id', async () => {
    const file = await files.createFile(tenantA, newFile());
    const first = randomUUID();
    assert.deepEqual(await files.publishFile(tenantA, file.id, first), { ...file, publicId: first });
    assert.equal((await files.publishFile(tenantA, file.id, randomUUID()))?.publicId, first);
    assert.equal((await files.findFile(tenantA, file.id))?.publicId, first);
    assert.deepEqual(await files.findPublishedFile(first), { ...file, publicId: first });
  });

  it('of concurrent publications of one file, one wins and every caller gets its public id', async () => {
    const file = await files.createFile(tenantA, newFile());
    const candidates: string[] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const results = await Promise.all(candidates.map((publicId) => files.publishFile(tenantA, file.id, publicId)));
    const winner = results[0]?.publicId;
    assert.ok(winner && candidates.includes(winner));
    assert.deepEqual(
      results.map((result) => result?.publicId),
      candidates.map(() => winner),
    );
  });

  it('publishFile answers undefined for an unknown file', async () => {
    assert.equal(await files.publishFile(tenantA, randomUUID(), randomUUID()), undefined);
  });

  it('a public id taken by another file fails with ConflictError and leaves the second file unpublished', async () => {
    const one = await files.createFile(tenantA, newFile());
    const two = await files.createFile(tenantB, newFile());
    const publicId = randomUUID();
    await files.publishFile(tenantA, one.id, publicId);
    await rejectsWith(files.publishFile(tenantB, two.id, publicId), FileConflictError);
    assert.equal((await files.findFile(tenantB, two.id))?.publicId, null);
    assert.equal((await files.findPublishedFile(publicId))?.id, one.id);
  });

  it('unpublishFile withdraws the link (the old public id finds nothing), is idempotent, and a new publication gets the new id', async () => {
    const file = await files.createFile(tenantA, newFile());
    const first = randomUUID();
    await files.publishFile(tenantA, file.id, first);
    assert.equal(await files.unpublishFile(tenantA, file.id), true);
    assert.equal(await files.findPublishedFile(first), undefined);
    assert.equal((await files.findFile(tenantA, file.id))?.publicId, null);
    assert.equal(await files.unpublishFile(tenantA, file.id), true, 'unpublishing an unpublished file is fine');
    assert.equal(await files.unpublishFile(tenantA, randomUUID()), false, 'an unknown file is reported');
    const second = randomUUID();
    assert.equal((await files.publishFile(tenantA, file.id, second))?.publicId, second);
    assert.equal(await files.findPublishedFile(first), undefined);
  });

  it('findPublishedFile finds nothing for an unpublished, a deleted or an unknown file', async () => {
    const file = await files.createFile(tenantA, newFile());
    assert.equal(await files.findPublishedFile(randomUUID()), undefined);
    const publicId = randomUUID();
    await files.publishFile(tenantA, file.id, publicId);
    assert.equal(await files.deleteFile(tenantA, file.id), true);
    assert.equal(await files.findPublishedFile(publicId), undefined);
    assert.equal(await files.findPublishedFile(''), undefined);
  });

  it('after close(), every call rejects with FileStoreUnavailableError', async () => {
    const closed = openFileStore(join(dir, 'closed', 'files.db'));
    closed.close();
    closed.close(); // idempotent
    await rejectsWith(closed.createFile(tenantA, newFile()), FileStoreUnavailableError);
    await rejectsWith(closed.findFile(tenantA, randomUUID()), FileStoreUnavailableError);
    await rejectsWith(closed.listFiles(tenantA), FileStoreUnavailableError);
    await rejectsWith(closed.deleteFile(tenantA, randomUUID()), FileStoreUnavailableError);
    await rejectsWith(closed.publishFile(tenantA, randomUUID(), randomUUID()), FileStoreUnavailableError);
    await rejectsWith(closed.unpublishFile(tenantA, randomUUID()), FileStoreUnavailableError);
    await rejectsWith(closed.findPublishedFile(randomUUID()), FileStoreUnavailableError);
  });
});
