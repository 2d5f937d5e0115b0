/**
 * The time as of the last I/O wakeup, read many times per request for the cost of one clock
 * read: nginx's cached time (`ngx_time_update()` after each `epoll_wait`), for a worker.
 *
 * One request asks for the time several times: its session cookie's issue time, the memo's and
 * the file cache's expiry checks, the Date field, its counters, its deadlines and its access-log
 * line. `Date.now()` costs ~43 ns a call in Deno 2.9 on this machine (a call into V8's C++
 * runtime and the vDSO), so five of them were ~0.2 µs of a ~9 µs request. The connection
 * refreshes the clock when a read or write completes, and the worker's timers when they fire;
 * everything in between reads the refreshed value. Within one wakeup the code runs without
 * waiting, so the value is behind real time by at most that stretch of work, microseconds on
 * the request path (the time spent in an awaited file open, for a response that waits on one).
 * Every refresh reads the clock: sharing one read among the refreshes of an event-loop turn
 * (a microtask clearing a mark) saved ~40 ns on most requests but was within the noise end to
 * end, so it went.
 * @module
 */

/** A clock refreshed at wakeups and read in between. */
export class LoopClock {
  #ms: number;
  readonly #source: () => number;

  /** @param source the real clock (epoch ms), read once per refresh */
  constructor(source: () => number = Date.now) {
    this.#source = source;
    this.#ms = source();
  }

  /** The time at the last refresh, epoch ms (a bound function: pass it as a `now` option). */
  readonly now = (): number => this.#ms;

  /** Read the real clock; returns the new time. */
  refresh(): number {
    return this.#ms = this.#source();
  }
}
