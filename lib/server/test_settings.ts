/**
 * Test helper: connection settings for tests that are not about timeouts or limits (roomy
 * limits, 10 s timeouts, plain HTTP, no PROXY protocol and no trusted proxies).
 * @module
 */

import { TEST_LIMITS } from "../http/test_scan.ts";
import type { ConnectionSettings } from "./connection.ts";

/** The settings, with `maxBodySize` as the test needs it. */
export function testSettings(maxBodySize: number): ConnectionSettings {
  return {
    limits: { ...TEST_LIMITS, maxBodySize },
    maxRequestsPerConnection: 0,
    headerTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    requestTimeoutMs: 10_000,
    sendTimeoutMs: 10_000,
    serverHeader: "test",
    readChunkSize: 4096,
    proxyProtocol: null,
    clients: null,
    scheme: "http",
    logScheme: false,
  };
}
