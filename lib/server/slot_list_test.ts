import assert from "node:assert/strict";
import fc from "fast-check";
import { SlotList, type Slotted } from "./slot_list.ts";

const item = (name: string) => ({ name, slot: -1 });

Deno.test("SlotList: add, delete from the middle and the end, size and snapshot", () => {
  const l = new SlotList<Slotted & { name: string }>();
  const [a, b, c] = [item("a"), item("b"), item("c")];
  l.add(a);
  l.add(b);
  l.add(c);
  assert.equal(l.size, 3);
  assert.equal(l.delete(a), true);
  assert.deepEqual(l.snapshot().map((x) => x.name).sort(), ["b", "c"]);
  assert.equal(a.slot, -1);
  assert.equal(l.delete(a), false, "a second delete does nothing");
  assert.equal(l.delete(b), true);
  assert.equal(l.delete(c), true);
  assert.equal(l.size, 0);
});

Deno.test("SlotList: an item of another list, or one already in a list, is refused", () => {
  const one = new SlotList<Slotted>();
  const two = new SlotList<Slotted>();
  const a = item("a");
  const b = item("b");
  one.add(a);
  two.add(b);
  assert.equal(two.delete(a), false, "slot 0 of list two holds b, not a");
  assert.equal(two.size, 1);
  assert.throws(() => two.add(a), RangeError);
});

Deno.test("SlotList: a snapshot can be changed while going through it", () => {
  const l = new SlotList<Slotted>();
  const items = Array.from({ length: 5 }, (_, i) => item(String(i)));
  for (const x of items) l.add(x);
  for (const x of l.snapshot()) l.delete(x);
  assert.equal(l.size, 0);
});

Deno.test("SlotList behaves like a Set under any sequence of adds and deletes", () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.boolean(), fc.nat(20)), { maxLength: 200 }),
    (ops) => {
      const pool = Array.from({ length: 21 }, (_, i) => item(String(i)));
      const l = new SlotList<Slotted & { name: string }>();
      const ref = new Set<string>();
      for (const [add, k] of ops) {
        const x = pool[k]!;
        if (add) {
          if (x.slot === -1) {
            l.add(x);
            ref.add(x.name);
          }
        } else {
          assert.equal(l.delete(x), ref.delete(x.name));
        }
        assert.equal(l.size, ref.size);
      }
      assert.deepEqual(l.snapshot().map((x) => x.name).sort(), [...ref].sort());
      l.snapshot().forEach((x, i) => assert.equal(x.slot, i));
    },
  ));
});
