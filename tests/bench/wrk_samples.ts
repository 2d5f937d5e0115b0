/**
 * wrk reports for the parser and runner tests.
 * @module
 */

/** A real `wrk -t1 -c2 -d1s --latency` report against a server answering 404. */
export const REPORT_404 = `Running 1s test @ http://127.0.0.1:18555/nope
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.31ms    1.24ms   8.38ms   88.78%
    Req/Sec     1.81k   525.42     2.25k    81.82%
  Latency Distribution
     50%    0.91ms
     75%    1.34ms
     90%    2.76ms
     99%    6.64ms
  1981 requests in 1.10s, 0.98MB read
  Non-2xx or 3xx responses: 1981
Requests/sec:   1799.76
Transfer/sec:      0.89MB
`;

/** Keep-alive report with microsecond percentiles, a seconds p99 and socket errors. */
export const REPORT_MIXED = `Running 5s test @ http://127.0.0.1:8080/1k.html
  2 threads and 256 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   345.12us  123.45us    1.67s    89.01%
    Req/Sec    70.12k     3.45k   80.00k    70.00%
  Latency Distribution
     50%  320.00us
     75%  400.00us
     90%  500.00us
     99%    1.20s
  698765 requests in 5.00s, 812.34MB read
  Socket errors: connect 0, read 12, write 3, timeout 7
Requests/sec: 139753.00
Transfer/sec:    162.47MB
`;
