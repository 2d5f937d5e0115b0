/**
 * What `deno task dev` prints (pure): an access-log line as a short coloured request line, an
 * error-log line as a coloured warning, and which file changes restart the server.
 * @module
 */

/** ANSI colours, or none (NO_COLOR, or output that is not a terminal). */
export interface Paint {
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly green: (s: string) => string;
  readonly cyan: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly red: (s: string) => string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

/** Colours when `on`, else the identity. */
export function paint(on: boolean): Paint {
  return on
    ? {
      dim: sgr(2, 22),
      bold: sgr(1, 22),
      green: sgr(32, 39),
      cyan: sgr(36, 39),
      yellow: sgr(33, 39),
      red: sgr(31, 39),
    }
    : { dim: plain, bold: plain, green: plain, cyan: plain, yellow: plain, red: plain };
}

/** What a Combined Log Format line says. */
export interface AccessLine {
  readonly client: string;
  /** "HH:MM:SS" of the line's time. */
  readonly time: string;
  readonly request: string;
  readonly status: number;
  readonly bytes: number;
}

const COMBINED =
  /^(\S+) \S+ \S+ \[[^:\]]+:(\d\d:\d\d:\d\d) [^\]]*\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)/;

/** Read a Combined Log Format line (the rest of it, referer and agent, is not shown). */
export function parseAccessLine(line: string): AccessLine | null {
  const m = COMBINED.exec(line);
  if (m === null) return null;
  return {
    client: m[1]!,
    time: m[2]!,
    request: m[3]!.replace(/ HTTP\/\d\.\d$/, ""),
    status: Number(m[4]),
    bytes: m[5] === "-" ? 0 : Number(m[5]),
  };
}

/** "2.5 KiB" */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** One request for the terminal: `12:01:02 200 GET /index.html 2.5 KiB 127.0.0.1`. */
export function requestLine(a: AccessLine, p: Paint): string {
  const colour = a.status >= 500
    ? p.red
    : a.status >= 400
    ? p.yellow
    : a.status >= 300
    ? p.cyan
    : p.green;
  return `${p.dim(a.time)} ${colour(String(a.status))} ${a.request} ${p.dim(humanBytes(a.bytes))} ${
    p.dim(a.client)
  }`;
}

const ERROR_LINE =
  /^\[\S+ \S+ \d+ (\d\d:\d\d:\d\d)\.\d+ \d+\] \[([^:\]]+):(\w+)\] \[pid \d+:tid \d+\](?: \[client ([^\]]+)\])? (.*)$/;

/**
 * A line the server wrote to stderr, for the terminal: an error-log line (warn and above are
 * copied to stderr) as `12:01:02 warn  message`, in yellow or red; anything else (a start-up
 * error) in red as it is.
 */
export function stderrLine(line: string, p: Paint): string {
  const m = ERROR_LINE.exec(line);
  if (m === null) return p.red(line);
  const [, time, , level, client, message] = m;
  const colour = level === "warn"
    ? p.yellow
    : level === "notice" || level === "info"
    ? plain
    : p.red;
  return `${p.dim(time!)} ${colour(level!.padEnd(5))} ${message}${
    client === undefined ? "" : p.dim(` [${client}]`)
  }`;
}

/**
 * Whether a changed path should restart the server: the code (`.ts` under lib/ and main.ts),
 * the config file, and anything in the error-page folder; not editor swap and backup files.
 * @param path the changed file's absolute path
 * @param watched the absolute paths: code folder, main file, config file, error-page folders
 */
export function restartsOn(
  path: string,
  watched: {
    readonly lib: string;
    readonly main: string;
    readonly config: string;
    readonly pages: readonly string[];
  },
): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (/^\.|~$|\.sw[a-p]$|^4913$|^#.*#$/.test(name)) return false; // editors' scratch files
  if (path === watched.main || path === watched.config) return true;
  if (path.startsWith(watched.lib + "/")) return path.endsWith(".ts");
  return watched.pages.some((d) => path === d || path.startsWith(d + "/"));
}
