/**
 * A real headless Chromium against the real server: the page loads with its stylesheet and
 * image, and the video plays and seeks (which needs correct Range responses).
 */
import { assertEquals } from "../lib/http/test_assert.ts";
import assert from "node:assert/strict";
import { launchChromium } from "./helpers/chromium.ts";
import { eventually, startServer } from "./helpers/server.ts";

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
      { duration: number; seekedTo: number; advanced: boolean; error: string | null }
    >(`(async () => {
      const v = document.querySelector("video");
      if (!v) return { duration: 0, seekedTo: -1, advanced: false, error: "no <video>" };
      v.muted = true;
      v.preload = "auto";
      if (v.readyState < 1) await new Promise((r, j) => { v.onloadedmetadata = r; v.onerror = () => j(new Error("video error " + v.error?.code)); v.load(); });
      const seeked = new Promise((r) => v.addEventListener("seeked", r, { once: true }));
      v.currentTime = 7.5;
      await seeked;
      const at = v.currentTime;
      await v.play();
      await new Promise((r) => setTimeout(r, 700));
      const advanced = v.currentTime > at;
      v.pause();
      return { duration: v.duration, seekedTo: at, advanced, error: v.error ? String(v.error.code) : null };
    })()`);
    assertEquals(video.error, null);
    assert.ok(video.duration > 10, `duration ${video.duration}`);
    assert.ok(Math.abs(video.seekedTo - 7.5) < 0.6, `seeked to ${video.seekedTo}`);
    assert.ok(video.advanced, "the video kept playing after the seek");
    await eventually(
      () => / "GET \/media\/sample\.webm HTTP\/1\.1" 206 /.test(s.readLog("access.log")),
      3000,
      "a 206 for the video",
    );
  } finally {
    await browser.close();
    assertEquals(await s.stop(), 0);
  }
});
