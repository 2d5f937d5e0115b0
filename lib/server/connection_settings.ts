/**
 * What every HTTP/1.1 connection of a worker is configured with, taken from Config: the
 * parser's limits, the timeouts of each phase, MaxKeepAliveRequests, the Server field value and
 * the copy buffer for large files; the PROXY protocol and the proxies trusted to name the client.
 * @module
 */

import type { Config } from "../config/config.ts";
import { SERVER_NAME, SERVER_VERSION } from "../config/defaults.ts";
import type { Limits } from "../http/limits.ts";
import { PROXY_V2_MAX_BYTES } from "../config/defaults.ts";
import { ClientResolver } from "./client_address.ts";

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
  /** ProxyProtocol On: the longest v2 header accepted; null: connections start with HTTP. */
  readonly proxyProtocol: { readonly maxV2Bytes: number } | null;
  /** TrustedProxies (and ForwardedHeader): who may name the client; null: nobody. */
  readonly clients: ClientResolver | null;
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
    proxyProtocol: config.proxyProtocol ? { maxV2Bytes: PROXY_V2_MAX_BYTES } : null,
    clients: config.trustedProxies.length === 0
      ? null
      : new ClientResolver(config.trustedProxies, config.forwardedHeader),
  };
}
