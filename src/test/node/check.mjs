// Reads a GGUF file with @huggingface/gguf (an independent JavaScript parser) and prints what it saw as JSON:
// metadata (typed), tensor infos and the data offset. Used by GgufNodeReaderTest; run `npm install` here first.
// usage: node check.mjs FILE.gguf
import { gguf } from "@huggingface/gguf";
import path from "node:path";

const file = path.resolve(process.argv[2]);
const { metadata, tensorInfos, tensorDataOffset, typedMetadata } = await gguf(file, { allowLocalFile: true, typedMetadata: true });
const big = (_k, v) => (typeof v === "bigint" ? v.toString() : v);
const kv = {};
for (const [k, v] of Object.entries(typedMetadata)) kv[k] = { type: v.type, value: v.value };
console.log(JSON.stringify({
  version: metadata.version,
  tensorCount: metadata.tensor_count,
  kvCount: metadata.kv_count,
  kv,
  tensors: tensorInfos.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype, offset: t.offset })),
  tensorDataOffset,
}, big));
