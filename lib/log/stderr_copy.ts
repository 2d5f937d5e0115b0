/**
 * The error-log lines a worker also sends to stderr (warn and above: what `systemctl status`
 * and the journal show), bounded: a warning made per request (a client asking for a FIFO, a
 * connection refused over MaxSimultaneousConnections) must not flood the journal nor stall the
 * main thread writing to it. Past MAX_LINES per batch the rest are counted, and the batch ends
 * with one line saying how many more error.log has. Pure.
 * @module
 */

/** Lines copied per batch (a worker sends one batch every 100 ms at most). */
export const MAX_LINES = 20;

/** One worker's stderr copy, taken with each log batch. */
export class StderrCopy {
  #text = "";
  #lines = 0;
  #skipped = 0;

  /** Copy one whole line (ending in "\n"), unless this batch has MAX_LINES already. */
  add(line: string): void {
    if (this.#lines < MAX_LINES) {
      this.#text += line;
      this.#lines++;
    } else {
      this.#skipped++;
    }
  }

  /** The batch's text ("" when none), then start a new batch. */
  take(): string {
    const more = this.#skipped === 0
      ? ""
      : `httpserver: ${this.#skipped} more warning and error line(s) in error.log\n`;
    const text = this.#text + more;
    this.#text = "";
    this.#lines = 0;
    this.#skipped = 0;
    return text;
  }
}
