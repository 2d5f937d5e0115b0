/**
 * A real headless Chromium against the real server: the page loads with its stylesheet and
 * image, and the video plays and seeks (which needs correct Range responses).
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { launchChromium } from "./helpers/chromium.ts";
import { eventually, startServer } from "./helpers/server.ts";

/** How long the page waits for the video to play on from the seek point. */
const PLAY_BOUND_MS = 20_000;

Deno.test("Chromium loads the page with its image and stylesheet, and plays and seeks the video", async () => {
  const s = await startServer();
  const browser = await launchChromium();
  try {
    await browser.navigate(`${s.url}/`);
    const page = await browser.evaluate<{ title: string; images: number[]; sheets: number }>(
      `(async () => {
      await Promise.all([...document.images].map((i) => i.complete ? null : new Promise((r) => { i.onload = r; i.onerror = r; })));
      return {
        title: document.title,
        images: [...document.images].map((i) => i.naturalWidth),
        sheets: [...document.styleSheets].filter((s) => { try { return s.cssRules.length > 0; } catch { return false; } }).length,
      };
    })()`,
    );
    assert.ok(page.title.length > 0);
    assert.ok(page.images.length > 0, "the page has an image");
    assert.ok(page.images.every((w) => w > 0), `every image decoded: ${page.images}`);
    assert.ok(page.sheets > 0, "the stylesheet loaded");
    const video = await browser.evaluate<
      {
        duration: number;
        seekedTo: number;
        advanced: boolean;
        playedTo: number;
        error: string | null;
      }
    >(`(async () => {
      const v = document.querySelector("video");
      if (!v) return { duration: 0, seekedTo: -1, advanced: false, playedTo: -1, error: "no <video>" };
      v.muted = true;
      v.preload = "auto";
      if (v.readyState < 1) await new Promise((r, j) => { v.onloadedmetadata = r; v.onerror = () => j(new Error("video error " + v.error?.code)); v.load(); });
      const seeked = new Promise((r) => v.addEventListener("seeked", r, { once: true }));
      v.currentTime = 7.5;
      await seeked;
      const at = v.currentTime;
      await v.play();
      // Playing means currentTime moves on: wait for a timeupdate past the seek point, for as
      // long as ${PLAY_BOUND_MS} ms (a bound for a busy machine, not a measure of anything).
      const advanced = await new Promise((resolve) => {
        const check = () => {
          if (v.currentTime > at) resolve(true);
          else if (v.error || v.ended) resolve(false);
        };
        v.addEventListener("timeupdate", check);
        check();
        setTimeout(() => resolve(false), ${PLAY_BOUND_MS});
      });
      v.pause();
      const error = v.error ? String(v.error.code) : null;
      return { duration: v.duration, seekedTo: at, advanced, playedTo: v.currentTime, error };
    })()`);
    assertEquals(video.error, null);
    assert.ok(video.duration > 10, `duration ${video.duration}`);
    assert.ok(Math.abs(video.seekedTo - 7.5) < 0.6, `seeked to ${video.seekedTo}`);
    assert.ok(video.advanced, `the video kept playing after the seek (at ${video.playedTo})`);
    await eventually(
      () => / "GET \/media\/sample\.webm HTTP\/1\.1" 206 /.test(s.readLog("access.log")),
      10_000,
      "a 206 for the video",
    );
  } finally {
    await browser.close();
    assertEquals(await s.stop(), 0);
  }
});
