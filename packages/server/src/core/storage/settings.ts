// See ./index.ts for the rules every store follows.
/** Small named values the server keeps in its database (e.g. the master key check). */
export interface SettingsStore {
  getSetting(name: string): Promise<string | undefined>;
  /** Stores `value` unless the setting exists; returns the value now stored. */
  putSettingIfAbsent(name: string, value: string): Promise<string>;
}
