/**
 * @gatehouse-auth/example-document-api: the demo document API, an example app outside the
 * product. It uses only the public @gatehouse-auth/resource package to check tokens and
 * its own storage for files; `gatehouse serve` mounts it for loopback issuers (README.md).
 */
export { documentApi, cleanContentType, cleanFileName, contentDisposition } from './routes.js';
export type { DocumentApiHost, DocumentApiOptions, FileJson, TenantJson } from './routes.js';
export { DEFAULT_MAX_UPLOAD_BYTES, DocumentApiSettingsError, isLoopbackIssuer, readDocumentApiSettings } from './settings.js';
export type { DocumentApiSettings } from './settings.js';
export { FileConflictError, FileStoreUnavailableError, openFileStore } from './store.js';
export type { FileStore, NewFile, StoredFile } from './store.js';
