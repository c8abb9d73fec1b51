/**
 * IDX files (the format MNIST and Fashion-MNIST ship in) read from bytes in the browser: a 4-byte magic (0, 0,
 * 0x08 = unsigned byte, rank), `rank` big-endian uint32 dimensions, then the data. Gzipped files (they start with
 * 0x1f 0x8b) are inflated with the browser's own DecompressionStream.
 */
export interface Idx {
  dims: number[];
  data: Uint8Array;
}

async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function parseIdx(name: string, raw: Uint8Array<ArrayBuffer>): Promise<Idx> {
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? await gunzip(raw) : raw;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    throw new Error(`${name} is not an unsigned-byte IDX file (it must start with 0x00 0x00 0x08 <rank>)`);
  }
  const rank = bytes[3] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * rank) throw new Error(`${name}: the header of rank ${rank} is truncated`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const data = bytes.subarray(4 + 4 * rank);
  if (data.length !== size) throw new Error(`${name}: dims ${dims.join('x')} need ${size} data bytes, the file has ${data.length}`);
  return { dims, data };
}
