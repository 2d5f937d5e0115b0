/**
 * What every HTTP/1.1 connection of a worker is configured with, taken from Config: the
 * parser's limits, the timeouts of each phase, MaxKeepAliveRequests, the Server field value and
 * the copy buffer for large files.
 * @module
 */

import type { Config } from "../config/config.ts";
import { SERVER_NAME, SERVER_VERSION } from "../config/defaults.ts";
import type { Limits } from "../http/limits.ts";

/** Settings for every connection of a worker (from Config). */
export interface ConnectionSettings {
  readonly limits: Limits;
  readonly maxRequestsPerConnection: number;
  readonly headerTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly serverHeader: string;
  readonly readChunkSize: number;
}

/** The Server header value for a config (ServerTokens). */
export function serverHeader(config: Config): string {
  return config.serverTokens === "full" ? `${SERVER_NAME}/${SERVER_VERSION}` : SERVER_NAME;
}

/** Connection settings from a config. */
export function connectionSettings(config: Config): ConnectionSettings {
  return {
    limits: {
      maxRequestLine: config.maxRequestLine,
      maxHeaderBytes: config.maxHeaderBytes,
      maxHeaderCount: config.maxHeaderCount,
      maxBodySize: config.maxBodySize,
      maxChunkExtension: config.maxChunkExtension,
    },
    maxRequestsPerConnection: config.maxRequestsPerConnection,
    headerTimeoutMs: config.headerTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    sendTimeoutMs: config.sendTimeoutMs,
    serverHeader: serverHeader(config),
    readChunkSize: config.readChunkSize,
  };
}
