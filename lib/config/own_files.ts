/**
 * The server's own files: secrets, its configuration and its logs. They are never served,
 * written or listed, whatever their path (a hard link or a symlink inside the document root
 * included), and the server warns at start when one lies under DocumentRoot.
 *
 * One list over the config: a key that names a file of the server's own adds one line here
 * (TLSKey, TLSCertificate, ACMEStorage... when they exist).
 * @module
 */

import type { Config } from "./types.ts";

/** One of the server's own files (or folders), as configured. */
export interface OwnFile {
  /** The http.conf key that names it ("http.conf" for the configuration file itself). */
  readonly key: string;
  /** Absolute path. */
  readonly path: string;
}

/**
 * The server's own files that are configured (unset keys are left out).
 * @example ownFiles(config) // [{ key: "PasswordFile", path: "/srv/www/.htpasswd" }, ...]
 */
export function ownFiles(config: Config): OwnFile[] {
  const all: [string, string | null][] = [
    ["http.conf", config.file],
    ["PasswordFile", config.passwordFile],
    ["SessionKeyFile", config.sessionKeyFile],
    ["AccessLog", config.accessLog],
    ["ErrorLog", config.errorLog],
  ];
  return all.flatMap(([key, path]) => path === null || path === "" ? [] : [{ key, path }]);
}

/** Whether `path` is `folder` or lies below it (both absolute, without symlinks). */
export function isUnder(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith("/") ? folder : folder + "/");
}
