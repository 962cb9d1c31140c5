/**
 * A tar stream with the set-user-ID and set-group-ID bits cleared from every entry's mode, passed on
 * as it arrives (headers rewritten with their checksums; data untouched). What a copy brings out of
 * a container must not become a set-id program on the host of whoever unpacks it.
 */
export async function* withoutSetIdBits(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending = Buffer.alloc(0);
  /** Bytes of entry data (rounded up to whole blocks) still to pass before the next header. */
  let data = 0;
  for await (const chunk of source) {
    const buffer = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    pending = Buffer.alloc(0);
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < buffer.length) {
      if (data > 0) {
        const piece = buffer.subarray(offset, offset + data);
        out.push(piece);
        data -= piece.length;
        offset += piece.length;
        continue;
      }
      if (buffer.length - offset < BLOCK) {
        pending = Buffer.from(buffer.subarray(offset));
        break;
      }
      const header = Buffer.from(buffer.subarray(offset, offset + BLOCK));
      offset += BLOCK;
      if (header.some((byte) => byte !== 0)) {
        clearSetIdBits(header);
        data = Math.ceil(entrySize(header) / BLOCK) * BLOCK;
      }
      out.push(header);
    }
    if (out.length > 0) yield Buffer.concat(out);
  }
  if (pending.length > 0) yield pending;
}

const BLOCK = 512;
const SET_ID_BITS = 0o6000;

function entrySize(header: Buffer): number {
  const field = header.subarray(124, 136);
  // Sizes of 8 GiB and more are base-256 (GNU): the top bit of the first byte says so.
  if ((field[0]! & 0x80) !== 0) return field.subarray(1).reduce((size, byte) => size * 256 + byte, field[0]! & 0x7f);
  return parseInt(field.toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
}

function clearSetIdBits(header: Buffer): void {
  const text = header.subarray(100, 108).toString('latin1').replace(/\0.*$/s, '').trim();
  const mode = parseInt(text || '0', 8);
  if ((mode & SET_ID_BITS) === 0) return;
  header.write(`${(mode & ~SET_ID_BITS).toString(8).padStart(7, '0')}\0`, 100, 8, 'latin1');
  header.fill(0x20, 148, 156);
  const sum = header.reduce((total, byte) => total + byte, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}
