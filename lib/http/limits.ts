/**
 * The size limits the protocol layer enforces; values come from http.conf.
 * @module
 */

/** Limits for one request, all in bytes or counts. */
export interface Limits {
  /** Longest request line (method SP target SP version), else 414. */
  readonly maxRequestLine: number;
  /** Largest header section including the request line, else 431. */
  readonly maxHeaderBytes: number;
  /** Most header fields, else 431. */
  readonly maxHeaderCount: number;
  /** Largest request body, else 413. */
  readonly maxBodySize: number;
  /** Longest chunk extension, else 400. */
  readonly maxChunkExtension: number;
}
