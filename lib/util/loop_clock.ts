/**
 * The time as of the last I/O wakeup, read many times per request for the cost of one clock
 * read: nginx's cached time (`ngx_time_update()` after each `epoll_wait`), for a worker.
 *
 * One request asks for the time several times: its session cookie's issue time, the memo's and
 * the file cache's expiry checks, the Date field, its counters, its deadlines and its access-log
 * line. `Date.now()` costs ~43 ns a call in Deno 2.9 on this machine (a call into V8's C++
 * runtime and the vDSO), so five of them were ~0.2 µs of a ~9 µs request. The connection
 * refreshes the clock when a read or write completes, and the worker's timers when they fire;
 * everything in between reads the refreshed value. Refreshes in the same turn of the event loop
 * share one read (see refresh()): 9 in 10 of them at wrk -c50 (counted: 244k refreshes, 26k
 * clock reads in one worker). Within one turn the code runs without waiting, so the value is
 * behind real time by at most that turn's work: microseconds for one request, about a
 * millisecond for a full turn at -c256 (nginx's cached time lags the same way).
 * @module
 */

/** A clock refreshed at wakeups and read in between. */
export class LoopClock {
  #ms: number;
  readonly #source: () => number;
  /** Read in this turn of the event loop already (cleared by a microtask queued then). */
  #fresh = false;
  readonly #stale = (): void => {
    this.#fresh = false;
  };

  /** @param source the real clock (epoch ms), read at most once per turn of the event loop */
  constructor(source: () => number = Date.now) {
    this.#source = source;
    this.#ms = source();
  }

  /** The time at the last refresh, epoch ms (a bound function: pass it as a `now` option). */
  readonly now = (): number => this.#ms;

  /**
   * Read the real clock, once per turn of the event loop; returns the new time.
   *
   * One turn resolves every read and write that completed together (at c50, ~16 per
   * `epoll_wait` here), and their continuations run one after another as microtasks; the
   * microtask queued at the first refresh of a turn runs after all of those, so they share one
   * clock read, as nginx's workers share one per `epoll_wait`. A refresh in a later microtask
   * or turn reads the clock again.
   */
  refresh(): number {
    if (this.#fresh) return this.#ms;
    this.#fresh = true;
    queueMicrotask(this.#stale);
    return this.#ms = this.#source();
  }
}
