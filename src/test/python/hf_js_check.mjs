// Second reader for the tokenizer.json fixtures: encodes the corpus with the npm package
// @huggingface/tokenizers (tokenizers.js, a JavaScript port of HF tokenizers) and counts where its ids
// differ from the python sentencepiece library's (the authority, stored in corpus.jsonl.gz).
//
//   mkdir -p /tmp/hfjs && (cd /tmp/hfjs && npm init -y && npm install @huggingface/tokenizers@0.2.0)
//   NODE_PATH=/tmp/hfjs/node_modules node src/test/python/hf_js_check.mjs /tmp/hfjs
//
// It prints, per model, the number of strings compared and differing (all, and printable-ASCII only), and
// a few examples.
import fs from "node:fs";
import zlib from "node:zlib";
import path from "node:path";
import { createRequire } from "node:module";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");
const modDir = process.argv[2] ?? "/tmp/hfjs";
const require = createRequire(path.join(modDir, "node_modules", "x.js"));
const { Tokenizer } = require("@huggingface/tokenizers");

const res = path.join(root, "src/test/resources/text");
const rows = zlib.gunzipSync(fs.readFileSync(path.join(res, "corpus.jsonl.gz"))).toString("utf8")
  .split("\n").filter((l) => l.length).map((l) => JSON.parse(l));
const read = (p) => (p.endsWith(".gz") ? zlib.gunzipSync(fs.readFileSync(p)) : fs.readFileSync(p)).toString("utf8");
const models = {
  bf: path.join(res, "bf/tokenizer.json.gz"),
  unk: path.join(res, "unk/tokenizer.json"),
  tiny: path.join(root, "src/main/resources/io/vdq/text/tiny-tokenizer/tokenizer.json"),
};
for (const [name, file] of Object.entries(models)) {
  const tok = new Tokenizer(JSON.parse(read(file)), { eos_token: "</s>", pad_token: "<pad>", unk_token: "<unk>" });
  let compared = 0, differ = 0, plain = 0, plainDiffer = 0;
  const examples = [];
  for (const row of rows) {
    if (!row[name]) continue;
    compared++;
    const got = tok.encode(row.text).ids;
    const same = JSON.stringify(got) === JSON.stringify(row[name]);
    if (/^[\x20-\x7e]*$/.test(row.text)) {
      plain++;
      if (!same) plainDiffer++;
    }
    if (!same) {
      differ++;
      if (examples.length < 6) examples.push({ text: row.text.slice(0, 60), want: row[name].slice(0, 12), got: got.slice(0, 12) });
    }
  }
  console.log(`${name}: ${differ} of ${compared} strings differ from sentencepiece; ` +
    `printable-ASCII strings: ${plainDiffer} of ${plain} differ`);
  for (const e of examples) console.log("  " + JSON.stringify(e));
}
