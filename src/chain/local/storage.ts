// The chain's state: real storage keys (built from the metadata, so the hashers are the runtime's)
// mapped to SCALE values, read and written through typed accessors.
import type { Codec } from "@polkadot/types/types";
import { hexToU8a, u8aToHex } from "@polkadot/util";
import type { Runtime } from "./runtime.js";

/** Hex storage key → hex SCALE value. */
export type StateMap = Map<string, string>;

interface StorageEntry {
  (...args: unknown[]): Uint8Array;
  meta: {
    modifier: { isOptional: boolean };
    fallback: { toHex(): string };
    type: {
      isMap: boolean;
      asMap: { value: { toNumber(): number } };
      asPlain: { toNumber(): number };
    };
  };
}

export class Storage {
  constructor(
    readonly runtime: Runtime,
    readonly map: StateMap,
  ) {}

  private entry(section: string, item: string): StorageEntry {
    const entry = (this.runtime.decorated.query as Record<string, Record<string, unknown>>)[
      section
    ]?.[item];
    if (!entry) throw new Error(`storage ${section}.${item} is not in the metadata`);
    return entry as StorageEntry;
  }

  private valueType(entry: StorageEntry): string {
    const id = entry.meta.type.isMap ? entry.meta.type.asMap.value : entry.meta.type.asPlain;
    return this.runtime.registry.createLookupType(id.toNumber());
  }

  /** The storage key (hex, no length prefix) of `section.item(args)`; args are the map's keys in order. */
  key(section: string, item: string, args: unknown[] = []): string {
    const entry = this.entry(section, item);
    const key = entry(...args);
    // The decorated function returns the key SCALE-encoded as Bytes: drop the compact length.
    return u8aToHex(this.runtime.registry.createType("Bytes", key).toU8a(true));
  }

  /** The decoded value, or the storage default where the key is absent; null for an absent OptionQuery item. */
  get<T extends Codec = Codec>(section: string, item: string, args: unknown[] = []): T | null {
    const entry = this.entry(section, item);
    const raw = this.map.get(this.key(section, item, args));
    if (raw === undefined && entry.meta.modifier.isOptional) return null;
    // Bytes, not hex: some codecs (bool) read a hex string as text.
    return this.runtime.registry.createType(
      this.valueType(entry),
      hexToU8a(raw ?? entry.meta.fallback.toHex()),
    ) as unknown as T;
  }

  /** Encode `value` with the item's value type and store it. */
  put(section: string, item: string, args: unknown[], value: unknown): void {
    const entry = this.entry(section, item);
    // toU8a, not toHex: numbers' toHex is big-endian, not SCALE.
    const encoded = u8aToHex(
      this.runtime.registry.createType(this.valueType(entry), value).toU8a(),
    );
    this.map.set(this.key(section, item, args), encoded);
  }

  /** Store an already encoded value. */
  putRaw(section: string, item: string, args: unknown[], hex: string): void {
    this.map.set(this.key(section, item, args), hex);
  }

  remove(section: string, item: string, args: unknown[] = []): void {
    this.map.delete(this.key(section, item, args));
  }

  /**
   * The keys (hex, sorted) of a map's entries whose leading keys are `args` (none: all entries).
   * With Identity / Twox64Concat / Blake2_128Concat hashers the key's last bytes are its last key.
   */
  keysWithPrefix(section: string, item: string, args: unknown[] = []): string[] {
    const entry = this.entry(section, item) as unknown as {
      keyPrefix(...a: unknown[]): Uint8Array;
    };
    return keysPaged(this.map, u8aToHex(entry.keyPrefix(...args)), Number.MAX_SAFE_INTEGER);
  }
}

/** The little-endian unsigned integer in the last `bytes` bytes of a hex storage key. */
export function keySuffixNumber(key: string, bytes: number): number {
  const tail = Buffer.from(key.slice(key.length - bytes * 2), "hex");
  return bytes === 8 ? Number(tail.readBigUInt64LE(0)) : tail.readUIntLE(0, bytes);
}

/** Keys under `prefix` in byte order, after `startKey`, at most `count` (state_getKeysPaged). */
export function keysPaged(
  map: StateMap,
  prefix: string,
  count: number,
  startKey?: string,
): string[] {
  const p = prefix.toLowerCase();
  const start = startKey?.toLowerCase();
  return [...map.keys()]
    .filter((k) => k.startsWith(p) && (start === undefined || k > start))
    .sort()
    .slice(0, count);
}
