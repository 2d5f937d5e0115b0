import assert from "node:assert/strict";
import { HmacKey, sha256 } from "./hmac.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("sha256() matches the FIPS 180-2 examples", () => {
  assert.equal(
    hex(sha256(text("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    hex(sha256(text(""))),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    hex(sha256(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

// RFC 4231 §4: HMAC-SHA-256 test cases 1-4, 6 and 7 (5 is a truncation case).
const RFC4231: Array<[key: string, data: string, mac: string]> = [
  [
    "0b".repeat(20),
    hex(text("Hi There")),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  ],
  [
    hex(text("Jefe")),
    hex(text("what do ya want for nothing?")),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  ],
  [
    "aa".repeat(20),
    "dd".repeat(50),
    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
  ],
  [
    "0102030405060708090a0b0c0d0e0f10111213141516171819",
    "cd".repeat(50),
    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
  ],
  [
    "aa".repeat(131),
    hex(text("Test Using Larger Than Block-Size Key - Hash Key First")),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  ],
  [
    "aa".repeat(131),
    hex(text(
      "This is a test using a larger than block-size key and a larger than block-size data. " +
        "The key needs to be hashed before being used by the HMAC algorithm.",
    )),
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
  ],
];

Deno.test("HmacKey.sign() matches RFC 4231 test cases 1-4, 6, 7", () => {
  for (const [key, data, mac] of RFC4231) {
    assert.equal(hex(new HmacKey(unhex(key)).sign(unhex(data))), mac);
  }
});

Deno.test("HmacKey.sign() agrees with WebCrypto for keys and messages of every length to 150", async () => {
  for (let n = 0; n <= 150; n++) {
    const key = crypto.getRandomValues(new Uint8Array((n * 7) % 140 + 1));
    const msg = crypto.getRandomValues(new Uint8Array(n));
    const ck = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    const want = new Uint8Array(await crypto.subtle.sign("HMAC", ck, msg));
    assert.equal(hex(new HmacKey(key).sign(msg)), hex(want), `length ${n}`);
  }
});

Deno.test("HmacKey.verify() accepts the tag and rejects any changed byte or length", () => {
  const k = new HmacKey(text("secret key"));
  const msg = text("payload");
  const tag = k.sign(msg);
  assert.ok(k.verify(msg, tag));
  for (let i = 0; i < tag.length; i++) {
    const bad = tag.slice();
    bad[i]! ^= 1;
    assert.ok(!k.verify(msg, bad));
  }
  assert.ok(!k.verify(msg, tag.subarray(0, 31)));
  assert.ok(!k.verify(text("payloae"), tag));
});

Deno.test("HmacKey.sign() returns a fresh array each call", () => {
  const k = new HmacKey(text("k"));
  const a = k.sign(text("a"));
  const b = k.sign(text("b"));
  assert.notEqual(hex(a), hex(b));
  assert.equal(hex(a), hex(k.sign(text("a"))));
});
