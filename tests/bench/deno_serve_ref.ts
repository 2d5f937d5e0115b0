/**
 * Reference row: a minimal `Deno.serve` file server, run by the bench as
 * `deno serve --parallel --host 127.0.0.1 --port P tests/bench/deno_serve_ref.ts` with the
 * document root in BENCH_DOCROOT. It streams each file from disk (no cache, no validators, no
 * ranges, no log), so it shows what the built-in server costs, not a competitor.
 * @module
 */

const root = Deno.env.get("BENCH_DOCROOT") ?? Deno.cwd();

/**
 * Serve `root + path` as a stream, 404 for anything missing or not a plain file.
 * @param req the request
 * @returns the response
 */
async function serveFile(req: Request): Promise<Response> {
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url).pathname);
  } catch {
    return new Response("bad path\n", { status: 400 });
  }
  if (path.includes("..") || path.includes("\0")) {
    return new Response("bad path\n", { status: 400 });
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(root + path);
  } catch {
    return new Response("not found\n", { status: 404 });
  }
  const info = await file.stat();
  if (!info.isFile) {
    file.close();
    return new Response("not found\n", { status: 404 });
  }
  const type = path.endsWith(".html") ? "text/html; charset=utf-8" : "application/octet-stream";
  return new Response(file.readable, {
    headers: { "content-type": type, "content-length": String(info.size) },
  });
}

export default { fetch: serveFile } satisfies Deno.ServeDefaultExport;
