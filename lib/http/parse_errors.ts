/**
 * Parse error codes and the one table mapping each to the status the client gets.
 * @module
 */

/** Why a request could not be parsed or accepted. */
export type ParseErrorCode =
  | "bad-request-line"
  | "bad-method"
  | "bad-target"
  | "bad-version"
  | "unsupported-version"
  | "unknown-method"
  | "request-line-too-long"
  | "bad-header-name"
  | "space-before-colon"
  | "obs-fold"
  | "bare-lf"
  | "bad-header-value"
  | "headers-too-large"
  | "too-many-headers"
  | "missing-host"
  | "multiple-host"
  | "bad-host"
  | "cl-and-te"
  | "bad-content-length"
  | "conflicting-content-length"
  | "bad-transfer-encoding"
  | "unsupported-transfer-encoding"
  | "bad-chunk-size"
  | "bad-chunk"
  | "chunk-extension-too-long"
  | "trailers-too-large"
  | "body-too-large"
  | "expectation-failed";

/** Error code -> status code and a short, fixed message safe to show (never client input). */
export const PARSE_ERRORS: Readonly<Record<ParseErrorCode, { status: number; message: string }>> =
  Object.freeze({
    "bad-request-line": { status: 400, message: "The request line is malformed" },
    "bad-method": { status: 400, message: "The method is not a valid token" },
    "bad-target": { status: 400, message: "The request target is malformed" },
    "bad-version": { status: 400, message: "The HTTP version is malformed" },
    "unsupported-version": { status: 505, message: "Only HTTP/1.0 and HTTP/1.1 are supported" },
    "unknown-method": { status: 501, message: "The method is not implemented by this server" },
    "request-line-too-long": { status: 414, message: "The request line is too long" },
    "bad-header-name": { status: 400, message: "A header field name is not a valid token" },
    "space-before-colon": {
      status: 400,
      message: "Whitespace between a field name and colon is not allowed",
    },
    "obs-fold": { status: 400, message: "Obsolete line folding is not allowed" },
    "bare-lf": { status: 400, message: "Lines must end with CRLF" },
    "bad-header-value": { status: 400, message: "A header field value has invalid characters" },
    "headers-too-large": { status: 431, message: "The request header section is too large" },
    "too-many-headers": { status: 431, message: "The request has too many header fields" },
    "missing-host": { status: 400, message: "HTTP/1.1 requests must have a Host header" },
    "multiple-host": { status: 400, message: "The request has more than one Host header" },
    "bad-host": { status: 400, message: "The Host header is malformed" },
    "cl-and-te": {
      status: 400,
      message: "Content-Length and Transfer-Encoding must not be sent together",
    },
    "bad-content-length": { status: 400, message: "Content-Length is malformed" },
    "conflicting-content-length": {
      status: 400,
      message: "Content-Length values disagree",
    },
    "bad-transfer-encoding": {
      status: 400,
      message: "Transfer-Encoding must end with chunked",
    },
    "unsupported-transfer-encoding": {
      status: 501,
      message: "Only the chunked transfer coding is supported",
    },
    "bad-chunk-size": { status: 400, message: "A chunk size is malformed" },
    "bad-chunk": { status: 400, message: "The chunked body is malformed" },
    "chunk-extension-too-long": { status: 400, message: "A chunk extension is too long" },
    "trailers-too-large": { status: 431, message: "The trailer section is too large" },
    "body-too-large": { status: 413, message: "The request body is too large" },
    "expectation-failed": { status: 417, message: "Only 100-continue can be expected" },
  });
