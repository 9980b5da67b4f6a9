/**
 * The FileStore / PublishedFileStore contract (src/core/storage.ts), on every backend in
 * STORAGE_TARGETS: SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConflictError, NotFoundError, StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import type { NewFile } from '../../packages/server/src/core/storage.js';
import type { Tenant } from '../../packages/server/src/core/types.js';
import { openSqlStorage, type SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';

const T0 = Date.UTC(2026, 0, 15, 9, 30);

const rejectsWith = (promise: Promise<unknown>, type: new (...args: never[]) => Error) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`);
    return true;
  });

const newFile = (overrides: Partial<NewFile> = {}): NewFile => ({
  id: randomUUID(),
  name: 'Vertrag – signed “final”.pdf',
  size: 5_000_000_000, // beyond 32 bits: a bigint column
  contentType: 'application/pdf',
  ...overrides,
});

for (const target of STORAGE_TARGETS) {
  describe(`file store contract (${target.name})`, { skip: target.skip }, () => {
    let dir: string;
    let storage: SqlStorage;
    let cleanup: () => Promise<void>;
    let now = T0;
    let tenantA: Tenant;
    let tenantB: Tenant;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `gatehouse-files-${target.name}-`));
      const created = await target.create(dir);
      cleanup = created.cleanup;
      storage = openSqlStorage(created.url, { clock: () => now });
      await storage.migrate();
      tenantA = await storage.tenants.createTenant({ slug: 'tenant-a', name: 'A', accessTokenTtl: null });
      tenantB = await storage.tenants.createTenant({ slug: 'tenant-b', name: 'B', accessTokenTtl: null });
    });
    after(async () => {
      await storage?.close();
      await cleanup?.();
      rmSync(dir, { recursive: true, force: true });
    });

    it('createFile returns the file created now, unpublished, and findFile round-trips every field', async () => {
      now = T0 + 1_000;
      const input = newFile();
      const created = await storage.files.createFile(tenantA.id, input);
      const expected = { id: input.id, tenantId: tenantA.id, name: input.name, size: input.size, contentType: input.contentType, createdAt: T0 + 1_000, publicId: null };
      assert.deepEqual(created, expected);
      assert.deepEqual(await storage.files.findFile(tenantA.id, input.id), expected);
    });

    it('a file created in tenant A is invisible from tenant B: find, list, delete, publish and unpublish all miss', async () => {
      const input = newFile();
      await storage.files.createFile(tenantA.id, input);
      assert.equal(await storage.files.findFile(tenantB.id, input.id), undefined);
      assert.ok(!(await storage.files.listFiles(tenantB.id)).some((file) => file.id === input.id));
      assert.equal(await storage.files.publishFile(tenantB.id, input.id, randomUUID()), undefined);
      assert.equal(await storage.files.unpublishFile(tenantB.id, input.id), false);
      assert.equal(await storage.files.deleteFile(tenantB.id, input.id), false);
      const kept = await storage.files.findFile(tenantA.id, input.id);
      assert.ok(kept, 'the file is still there for its own tenant');
      assert.equal(kept.publicId, null, "tenant B's publish attempt changed nothing");
    });

    it('listFiles lists one tenant only, oldest first, ties broken by id', async () => {
      const tenant = await storage.tenants.createTenant({ slug: 'tenant-list', name: 'L', accessTokenTtl: null });
      const other = await storage.tenants.createTenant({ slug: 'tenant-list-other', name: 'O', accessTokenTtl: null });
      assert.deepEqual(await storage.files.listFiles(tenant.id), []);
      now = T0 + 20_000;
      const late = await storage.files.createFile(tenant.id, newFile({ name: 'late' }));
      now = T0 + 10_000;
      const tieA = await storage.files.createFile(tenant.id, newFile({ id: `ffff${randomUUID().slice(4)}`, name: 'tie-2' }));
      const tieB = await storage.files.createFile(tenant.id, newFile({ id: `0000${randomUUID().slice(4)}`, name: 'tie-1' }));
      await storage.files.createFile(other.id, newFile({ name: 'elsewhere' }));
      assert.deepEqual(await storage.files.listFiles(tenant.id), [tieB, tieA, late]);
    });

    it('a duplicate id fails with ConflictError, in the same or another tenant, and writes nothing', async () => {
      const input = newFile({ name: 'original' });
      await storage.files.createFile(tenantA.id, input);
      await rejectsWith(storage.files.createFile(tenantA.id, { ...input, name: 'copy' }), ConflictError);
      await rejectsWith(storage.files.createFile(tenantB.id, { ...input, name: 'copy' }), ConflictError);
      assert.equal((await storage.files.findFile(tenantA.id, input.id))?.name, 'original');
      assert.equal(await storage.files.findFile(tenantB.id, input.id), undefined);
    });

    it('createFile in a tenant that does not exist fails with NotFoundError and writes nothing', async () => {
      const input = newFile();
      const ghost = randomUUID();
      await rejectsWith(storage.files.createFile(ghost, input), NotFoundError);
      assert.deepEqual(await storage.files.listFiles(ghost), []);
    });

    it('deleteFile removes the file once: true, then false; the other files stay', async () => {
      const gone = await storage.files.createFile(tenantA.id, newFile());
      const kept = await storage.files.createFile(tenantA.id, newFile());
      assert.equal(await storage.files.deleteFile(tenantA.id, gone.id), true);
      assert.equal(await storage.files.findFile(tenantA.id, gone.id), undefined);
      assert.equal(await storage.files.deleteFile(tenantA.id, gone.id), false);
      assert.deepEqual(await storage.files.findFile(tenantA.id, kept.id), kept);
    });

    it('publishFile sets the public id once: publishing again returns the first public id', async () => {
      const file = await storage.files.createFile(tenantA.id, newFile());
      const first = randomUUID();
      assert.deepEqual(await storage.files.publishFile(tenantA.id, file.id, first), { ...file, publicId: first });
      assert.equal((await storage.files.publishFile(tenantA.id, file.id, randomUUID()))?.publicId, first);
      assert.equal((await storage.files.findFile(tenantA.id, file.id))?.publicId, first);
      assert.deepEqual(await storage.publishedFiles.findPublishedFile(first), { ...file, publicId: first });
    });

    it('of concurrent publications of one file, one wins and every caller gets its public id', async () => {
      const file = await storage.files.createFile(tenantA.id, newFile());
      const candidates: string[] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const results = await Promise.all(candidates.map((publicId) => storage.files.publishFile(tenantA.id, file.id, publicId)));
      const winner = results[0]?.publicId;
      assert.ok(winner && candidates.includes(winner));
      assert.deepEqual(
        results.map((result) => result?.publicId),
        candidates.map(() => winner),
      );
    });

    it('publishFile answers undefined for an unknown file', async () => {
      assert.equal(await storage.files.publishFile(tenantA.id, randomUUID(), randomUUID()), undefined);
    });

    it('a public id taken by another file fails with ConflictError and leaves the second file unpublished', async () => {
      const one = await storage.files.createFile(tenantA.id, newFile());
      const two = await storage.files.createFile(tenantB.id, newFile());
      const publicId = randomUUID();
      await storage.files.publishFile(tenantA.id, one.id, publicId);
      await rejectsWith(storage.files.publishFile(tenantB.id, two.id, publicId), ConflictError);
      assert.equal((await storage.files.findFile(tenantB.id, two.id))?.publicId, null);
      assert.equal((await storage.publishedFiles.findPublishedFile(publicId))?.id, one.id);
    });

    it('unpublishFile withdraws the link (the old public id finds nothing), is idempotent, and a new publication gets the new id', async () => {
      const file = await storage.files.createFile(tenantA.id, newFile());
      const first = randomUUID();
      await storage.files.publishFile(tenantA.id, file.id, first);
      assert.equal(await storage.files.unpublishFile(tenantA.id, file.id), true);
      assert.equal(await storage.publishedFiles.findPublishedFile(first), undefined);
      assert.equal((await storage.files.findFile(tenantA.id, file.id))?.publicId, null);
      assert.equal(await storage.files.unpublishFile(tenantA.id, file.id), true, 'unpublishing an unpublished file is fine');
      assert.equal(await storage.files.unpublishFile(tenantA.id, randomUUID()), false, 'an unknown file is reported');
      const second = randomUUID();
      assert.equal((await storage.files.publishFile(tenantA.id, file.id, second))?.publicId, second);
      assert.equal(await storage.publishedFiles.findPublishedFile(first), undefined);
    });

    it('findPublishedFile finds nothing for an unpublished, a deleted or an unknown file', async () => {
      const file = await storage.files.createFile(tenantA.id, newFile());
      assert.equal(await storage.publishedFiles.findPublishedFile(randomUUID()), undefined);
      const publicId = randomUUID();
      await storage.files.publishFile(tenantA.id, file.id, publicId);
      assert.equal(await storage.files.deleteFile(tenantA.id, file.id), true);
      assert.equal(await storage.publishedFiles.findPublishedFile(publicId), undefined);
      assert.equal(await storage.publishedFiles.findPublishedFile(''), undefined);
    });

    it('after close(), every call rejects with StorageUnavailableError', async () => {
      const created = await target.create(dir);
      const closed = openSqlStorage(created.url);
      try {
        await closed.migrate();
        await closed.close();
        await rejectsWith(closed.files.createFile(tenantA.id, newFile()), StorageUnavailableError);
        await rejectsWith(closed.files.findFile(tenantA.id, randomUUID()), StorageUnavailableError);
        await rejectsWith(closed.files.listFiles(tenantA.id), StorageUnavailableError);
        await rejectsWith(closed.files.deleteFile(tenantA.id, randomUUID()), StorageUnavailableError);
        await rejectsWith(closed.files.publishFile(tenantA.id, randomUUID(), randomUUID()), StorageUnavailableError);
        await rejectsWith(closed.files.unpublishFile(tenantA.id, randomUUID()), StorageUnavailableError);
        await rejectsWith(closed.publishedFiles.findPublishedFile(randomUUID()), StorageUnavailableError);
      } finally {
        await closed.close();
        await created.cleanup();
      }
    });
  });
}
