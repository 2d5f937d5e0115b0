/**
 * Files whose bytes encode their own offsets (as nginx-tests' range.t does): every 16-byte
 * line is a tag letter, the line's offset in 14 hex digits and a newline, so any slice of any
 * file can be checked without keeping a copy, and a slice from the wrong place or the wrong
 * file is told apart at once.
 * @module
 */

const HEX = "0123456789abcdef";

/** The bytes of the tagged offset-encoded file of `size` bytes, from `start` to `end`. */
export function offsetBytes(tag: string, size: number, start = 0, end = size): Uint8Array {
  const out = new Uint8Array(Math.max(0, Math.min(end, size) - start));
  const t = tag.charCodeAt(0);
  for (let i = 0; i < out.length; i++) {
    const pos = start + i;
    const col = pos & 15;
    if (col === 0) out[i] = t;
    else if (col === 15) out[i] = 0x0a;
    else {
      const line = pos - col;
      out[i] = HEX.charCodeAt(Math.floor(line / 16 ** (14 - col)) % 16);
    }
  }
  return out;
}

/** Where two byte arrays first differ, or -1 when they are equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** A served fixture: its URL path, tag and size. */
export interface Fixture {
  readonly path: string;
  readonly tag: string;
  readonly size: number;
}

/**
 * The fixtures the soak serves: sizes either side of the in-memory paths (64 KiB written with
 * the head, 256 KiB file cache) and large ones streamed through the copy buffer.
 */
export const FIXTURES: readonly Fixture[] = [
  { path: "/f/empty.bin", tag: "E", size: 0 },
  { path: "/f/small.bin", tag: "S", size: 1000 },
  { path: "/f/mid.bin", tag: "M", size: 60 * 1024 + 7 },
  { path: "/f/cached.bin", tag: "C", size: 200 * 1024 + 3 },
  { path: "/f/large.bin", tag: "L", size: 1024 * 1024 + 11 },
  { path: "/f/huge.bin", tag: "H", size: 5 * 1024 * 1024 + 5 },
];

/** A text fixture, compressed on the fly for clients that accept gzip. */
export const TEXT_FIXTURE: Fixture = { path: "/f/page.txt", tag: "T", size: 48 * 1024 + 1 };

/** Write the fixtures under `root`. */
export function writeFixtures(root: string): void {
  Deno.mkdirSync(`${root}/f`, { recursive: true });
  for (const f of [...FIXTURES, TEXT_FIXTURE]) {
    Deno.writeFileSync(root + f.path, offsetBytes(f.tag, f.size));
  }
}
