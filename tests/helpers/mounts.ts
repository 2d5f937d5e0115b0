/**
 * Real file-system faults for black-box tests, made with root's tools: a small tmpfs that
 * fills up, and an ext4 file system on a loop device whose backing file is cut short under it
 * (reads of the lost blocks then fail with EIO, as on a failing disk). Tests that use these
 * need root and say so by failing, not skipping.
 * @module
 */

/** Run a command; throws with its output when it fails. */
export async function run(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Fail (not skip) a test that needs root. */
export function requireRoot(what: string): void {
  if (Deno.uid() !== 0) {
    throw new Error(`${what} needs root (mount, losetup); run the tests as root`);
  }
}

/** Mount a tmpfs of `size` (e.g. "1m") on `dir`; the returned function unmounts it. */
export async function mountTmpfs(dir: string, size: string): Promise<() => Promise<void>> {
  await run("mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir);
  return () => unmount(dir);
}

/** Unmount `dir`, lazily if it is still busy. */
export async function unmount(dir: string): Promise<void> {
  try {
    await run("umount", dir);
  } catch {
    await run("umount", "-l", dir).catch(() => {});
  }
}

/** An ext4 file system on a loop device over `image`, mounted on `dir`. */
export interface LoopDisk {
  readonly device: string;
  /** Remount read-only, which also empties the page cache of its files. */
  remountReadOnly(): Promise<void>;
  /** Cut the backing file to `bytes`: blocks past it fail to read (EIO). */
  truncate(bytes: number): Promise<void>;
  /** Unmount and detach (safe to call twice). */
  remove(): Promise<void>;
}

/** Make a `sizeMiB` ext4 file system (4 KiB blocks, no journal) in `image`, mounted on `dir`. */
export async function loopDisk(image: string, dir: string, sizeMiB: number): Promise<LoopDisk> {
  await run("truncate", "-s", `${sizeMiB}M`, image);
  await run("mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "^has_journal", image);
  const device = (await run("losetup", "-f", "--show", image)).trim();
  let removed = false;
  try {
    await run("mount", device, dir);
  } catch (e) {
    await run("losetup", "-d", device).catch(() => {});
    throw e;
  }
  return {
    device,
    async remountReadOnly() {
      await run("umount", dir);
      await run("mount", "-o", "ro,noatime", device, dir);
    },
    truncate: (bytes) => run("truncate", "-s", String(bytes), image).then(() => {}),
    async remove() {
      if (removed) return;
      removed = true;
      await unmount(dir);
      await run("losetup", "-d", device).catch(() => {});
    },
  };
}
