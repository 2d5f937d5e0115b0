/**
 * Test data shared by the access-log tests.
 * @module
 */

import type { AccessRecord } from "./access_log.ts";

/**
 * The request of Apache's Combined Log Format example (mod_log_config documentation), whose
 * line is `192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] "GET /apache_pb.gif HTTP/1.0" 200 2326
 * "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`.
 */
export const APACHE_EXAMPLE: AccessRecord = {
  client: "192.0.2.1",
  user: null,
  timeMs: Date.UTC(2000, 9, 10, 13, 55, 36),
  requestLine: "GET /apache_pb.gif HTTP/1.0",
  status: 200,
  bytes: 2326,
  referer: "http://www.example.com/start.html",
  userAgent: "Mozilla/4.08 [en] (Win98; I ;Nav)",
};
