#!/usr/bin/env python3
"""Builds the tokenizer fixtures of io.vdq.text's tests and the tiny tokenizer shipped in the jar.

Needs the reference implementation (Debian: apt-get install sentencepiece python3-sentencepiece) and is run
with the system python that package installs into:

    /usr/bin/python3 src/test/python/make_spm_fixture.py

It trains three Unigram models with the reference trainer on a generated multilingual text, writes each as
spiece.model and as a tokenizer.json laid out the way transformers' SpmConverter lays out a T5 tokenizer
(Unigram model, Precompiled normalizer, Metaspace pre-tokenizer, TemplateProcessing appending </s>), and
writes a corpus of test strings with the ids the python sentencepiece library gives for each (EOS appended,
as the HF post-processor does). sentencepiece is the authority; the Java tests must reproduce its ids.

  src/test/resources/text/bf/    byte_fallback=True, nmt_nfkc normalization (the rule T5/UMT5 use)
  src/test/resources/text/unk/   no byte fallback, a small custom normalization rule table, one
                                 user-defined symbol; unknown characters become <unk>
  src/main/resources/io/vdq/text/tiny-tokenizer/   a small model for random-weight pipeline folders
  src/test/resources/text/corpus.jsonl.gz   {"text": ..., "bf": [...], "unk": [...], "tiny": [...]} per line
                                            ("tiny" in the first TINY_ROWS lines only)

The bf model's files are gzipped (bf/spiece.model.gz, bf/tokenizer.json.gz): nmt_nfkc's precompiled charsmap
alone is 240 KB and appears in both. The Java test unpacks them into a temporary folder.

Everything is seeded; rerunning gives the same files for the same sentencepiece version (0.1.97 here).
"""
import base64
import gzip
import io
import json
import os
import random
import shutil
import sys
import tempfile

import sentencepiece as spm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TEST_DIR = os.path.join(ROOT, "src", "test", "resources", "text")
TINY_DIR = os.path.join(ROOT, "src", "main", "resources", "io", "vdq", "text", "tiny-tokenizer")

# --- generated text -------------------------------------------------------------------------------------

LATIN = "abcdefghijklmnopqrstuvwxyz"
ACCENTED = "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿœßąćęłńśźżčďěňřšťůž"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))
KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30FB))
CJK_COMMON = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切"
HANGUL = "".join(chr(c) for c in range(0xAC00, 0xAC00 + 11172, 37))
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
DEVANAGARI = "अआइईउऊएऐओऔकखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह" + "ािीुूेैोौं्"
EMOJI = "😀😃😄😁😆😅😂🤣😊😇🙂🙃😉😌😍🥰😘🐶🐱🐭🐹🐰🦊🐻🐼🌍🌎🌏🔥✨🎉🚀⭐🍎🍌🍇"
DIGITS = "0123456789"
PUNCT = ".,;:!?-'\"()[]/&%#@*+=<>"

SCRIPTS = [
    (LATIN, 8.0, (2, 9)),
    (LATIN + ACCENTED, 2.0, (2, 9)),
    (CYRILLIC, 1.0, (3, 9)),
    (GREEK, 0.7, (3, 8)),
    (CJK_COMMON, 1.5, (1, 4)),
    (HIRAGANA + KATAKANA, 0.8, (2, 6)),
    (HANGUL, 0.6, (1, 4)),
    (ARABIC, 0.5, (3, 7)),
    (DEVANAGARI, 0.5, (2, 6)),
    (DIGITS, 0.6, (1, 5)),
]

PROMPT_WORDS = ("a the red green blue yellow white black small large cube sphere ball circle square triangle "
                "moves left right up down slowly quickly across over under through video scene camera light "
                "dark bright cat dog bird car tree river mountain city street night day sunset water fire "
                "flying running jumping spinning a an of in on with and to from by at").split()


def make_words(rng, n_words):
    """A vocabulary per script, Zipf-ish word frequencies, so the trainer finds real multi-char pieces."""
    words = []
    for alphabet, weight, (lo, hi) in SCRIPTS:
        for _ in range(int(n_words * weight / 16.5)):
            words.append("".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi))))
    words += PROMPT_WORDS * 3
    rng.shuffle(words)
    return words


def sentence(rng, words):
    n = rng.randint(3, 18)
    out = []
    for _ in range(n):
        k = int(len(words) * rng.random() ** 3)  # frequent words first
        w = words[k]
        r = rng.random()
        if r < 0.05:
            w = w.capitalize()
        elif r < 0.08:
            w += rng.choice(PUNCT)
        elif r < 0.10:
            w = rng.choice(EMOJI)
        out.append(w)
    return " ".join(out)


def training_text(seed, n_lines):
    rng = random.Random(seed)
    words = make_words(rng, 6000)
    return [sentence(rng, words) for _ in range(n_lines)], words


# Characters the trainer mostly never sees, and the awkward cases of normalization and whitespace.
SPECIALS = [
    "", " ", "   ", "\t", "\n", "\r\n", " \t \n ", "a", " a", "a ", "  a  ", "a  b", "a\tb", "a\nb", "a \t\n b",
    "\u3000漢字\u3000", "a\u00a0b", "a\u2009b", "a\u200bb", "a\u200db", "a\u00adb", "\ufeffstart",
    "ﬁne ﬂow", "①②③", "Ⅻ ⅻ", "㎏㎞", "ｶﾞｷﾞｸﾞ", "ﾊﾟﾋﾟ", "ＡＢＣ　ｘｙｚ　１２３！？", "ｈｅｌｌｏ，ｗｏｒｌｄ",
    "e\u0301 a\u0300 o\u0308", "\u1100\u1161\u11a8", "Å Å Å", "ﾟﾞ", "x\u0301\u0301\u0301",
    "😀😀😀", "👨‍👩‍👧‍👦", "🇯🇵🇫🇷", "👍🏽", "ℌ𝔢𝔩𝔩𝔬", "𝐁𝐨𝐥𝐝", "²³¹ ½ ¼", "™ © ®", "…", "‘quoted’ “double”",
    "</s>", "<pad>", "<unk>", "<0x41>", "▁", "▁▁x", "x▁", "tab\there", "CAPS LOCK", "MiXeD cAsE",
    "\x01\x02control\x7f", "\u0085next line", "line\u2028sep", "a\u00a0\u00a0b",
    "Ǆ ǅ ǆ", "[CAM] pans left", "[CAM][CAM]", "zoom[CAM]in", " [CAM] ", "[CAM", "[cam]", "ＣＡＭ", "ﷺ", "ﾍﾟｰｼﾞ", "㍻", "㋿", "\u2126 \u212b", "Ⓐⓑ", "⁵⁶", "ℕℤℚ", "ꯍꯦ", "𠀀𠀁", "Ω",
]


def random_soup(rng, n):
    """Code points from wide ranges, most of them outside the training text (unknowns, byte fallback)."""
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
              (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x2000, 0x206F), (0x2100, 0x24FF),
              (0x3000, 0x30FF), (0x3200, 0x33FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF),
              (0xFB00, 0xFDFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF), (0x1F300, 0x1F6FF),
              (0x1F900, 0x1F9FF), (0x20000, 0x2A6DF)]
    out = []
    for _ in range(n):
        lo, hi = rng.choice(ranges)
        c = rng.randint(lo, hi)
        if 0xD800 <= c <= 0xDFFF:
            continue
        out.append(chr(c))
    return "".join(out)


def whitespace_noise(rng, s):
    seps = [" ", "  ", "   ", "\t", "\n", " \n ", "\u3000", "\u00a0", "\r\n"]
    words = s.split(" ")
    out = rng.choice(["", "", " ", "  ", "\t", "\n "])
    for i, w in enumerate(words):
        out += w
        if i + 1 < len(words):
            out += rng.choice(seps)
    return out + rng.choice(["", "", " ", "  ", "\n", " \t"])


def test_corpus(seed, words):
    rng = random.Random(seed)
    texts = list(SPECIALS)
    for _ in range(900):
        texts.append(sentence(rng, words))
    for _ in range(300):
        texts.append(whitespace_noise(rng, sentence(rng, words)))
    for _ in range(500):
        texts.append(random_soup(rng, rng.randint(1, 16)))
    for _ in range(200):  # training words with foreign characters spliced in
        s = sentence(rng, words)
        i = rng.randint(0, len(s))
        texts.append(s[:i] + random_soup(rng, rng.randint(1, 4)) + s[i:])
    for _ in range(100):  # full-width and combining variants of ASCII text
        s = sentence(rng, PROMPT_WORDS)
        if rng.random() < 0.5:
            s = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)
        else:
            s = "".join(c + (rng.choice("\u0300\u0301\u0302\u0303\u0308\u0327") if rng.random() < 0.3 else "")
                        for c in s)
        texts.append(s)
    for _ in range(60):
        texts.append(rng.choice(PROMPT_WORDS) * rng.randint(2, 40))
    for n in (500, 3000):  # very long inputs
        texts.append(" ".join(sentence(rng, words) for _ in range(n // 60)) + random_soup(rng, 50))
    texts.append("a" * 1500)
    texts.append(" " * 1000 + "end")
    texts.append("😀" * 300)
    return texts


TINY_ROWS = 400  # the tiny model's ids are stored for the first rows only, to keep the corpus small

# --- training and conversion ----------------------------------------------------------------------------

# A small custom normalization rule table (source code points TAB target code points), so that the
# "unk" model carries its own, small precompiled charsmap with multi-character keys.
CUSTOM_RULES = [
    ("FF21", "41"), ("FF22", "42"), ("FF23", "43"), ("FF41", "61"), ("FF42", "62"), ("FF43", "63"),
    ("3000", "20"), ("A0", "20"), ("9", "20"), ("A", "20"), ("D", "20"), ("D A", "20"),
    ("FB01", "66 69"), ("FB02", "66 6C"), ("2460", "31"), ("2461", "32"), ("2462", "33"),
    ("65 301", "E9"), ("61 300", "E0"), ("6F 308", "F6"), ("FF76 FF9E", "30AC"), ("FF76", "30AB"),
    ("200B", ""), ("AD", ""), ("2026", "2E 2E 2E"), ("212B", "C5"),
]


def train(name, lines, out_dir, vocab, byte_fallback, rule, user_symbols=(), coverage=0.9995):
    tmp = tempfile.mkdtemp()
    cwd = os.getcwd()
    os.chdir(tmp)  # relative paths: the model records its input path, which must not vary between runs
    try:
        inp = "train.txt"
        with open(inp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        kwargs = dict(input=inp, model_prefix="m", model_type="unigram", vocab_size=vocab,
                      character_coverage=coverage, byte_fallback=byte_fallback, pad_id=0, eos_id=1, unk_id=2,
                      bos_id=-1, num_threads=1, seed_sentencepiece_size=200000, shuffle_input_sentence=False,
                      input_sentence_size=0)
        if rule == "custom":
            tsv = "rules.tsv"
            with open(tsv, "w") as f:
                f.write("".join(f"{a}\t{b}\n" for a, b in CUSTOM_RULES))
            kwargs["normalization_rule_tsv"] = tsv
        else:
            kwargs["normalization_rule_name"] = rule
        if user_symbols:
            kwargs["user_defined_symbols"] = list(user_symbols)
        spm.SentencePieceTrainer.train(**kwargs, minloglevel=2)
        os.makedirs(out_dir, exist_ok=True)
        shutil.copy("m.model", os.path.join(out_dir, "spiece.model"))
    finally:
        os.chdir(cwd)
        shutil.rmtree(tmp)
    return spm.SentencePieceProcessor(model_file=os.path.join(out_dir, "spiece.model"))


def read_proto_fields(path):
    """The few ModelProto fields the converter needs, read with a minimal wire-format walker (no protobuf
    package on this host): piece types and the normalizer's precompiled_charsmap / flags."""
    data = open(path, "rb").read()

    def varint(buf, i):
        shift = result = 0
        while True:
            b = buf[i]
            i += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result, i

    def fields(buf):
        i = 0
        while i < len(buf):
            key, i = varint(buf, i)
            num, wire = key >> 3, key & 7
            if wire == 0:
                v, i = varint(buf, i)
            elif wire == 1:
                v, i = buf[i:i + 8], i + 8
            elif wire == 5:
                v, i = buf[i:i + 4], i + 4
            elif wire == 2:
                n, i = varint(buf, i)
                v, i = buf[i:i + n], i + n
            else:
                raise ValueError("wire type %d" % wire)
            yield num, v

    types, norm = [], {}
    for num, v in fields(data):
        if num == 1:
            t = 1
            for n2, v2 in fields(v):
                if n2 == 3:
                    t = v2
            types.append(t)
        elif num == 3:
            for n2, v2 in fields(v):
                norm[n2] = v2
    return types, norm


def to_tokenizer_json(sp, model_path, out_path, layout):
    """A tokenizer.json as transformers' SpmConverter/T5Converter writes one. layout "t5-2023" is the older
    layout (Replace " {2,}" -> " ", Metaspace with add_prefix_space) found in many published T5/UMT5
    folders; "t5-2024" is the newer one (Strip right, Replace -> "▁", prepend_scheme)."""
    types, norm = read_proto_fields(model_path)
    charsmap = norm.get(2, b"")
    byte_fallback = any(t == 6 for t in types)
    vocab = [[sp.id_to_piece(i), float(sp.get_score(i))] for i in range(sp.get_piece_size())]
    added = []
    for i, t in enumerate(types):
        if t in (2, 3) or (t == 4):
            added.append({"id": i, "content": sp.id_to_piece(i), "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": t == 4, "special": t != 4})
    steps = []
    if charsmap:
        steps.append({"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()})
    if layout == "t5-2023":
        steps.append({"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "})
        pre = {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}]}
    else:
        steps = steps + [{"type": "Strip", "strip_left": False, "strip_right": True},
                         {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"}]
        pre = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    eos = sp.eos_id()
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": steps},
        "pre_tokenizer": pre,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [eos], "tokens": ["</s>"]}}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": sp.unk_id(), "vocab": vocab, "byte_fallback": byte_fallback},
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, separators=(",", ":"))


def write_diffusers_side_files(sp, out_dir):
    special = {"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w") as f:
        json.dump(special, f, indent=2)
    cfg = dict(special, tokenizer_class="T5Tokenizer", model_max_length=512, extra_ids=0,
               additional_special_tokens=[], sp_model_kwargs={}, clean_up_tokenization_spaces=True)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def main():
    lines, words = training_text(1234, 12000)
    models = {
        "bf": train("bf", lines, os.path.join(TEST_DIR, "bf"), 3000, True, "nmt_nfkc"),
        "unk": train("unk", lines, os.path.join(TEST_DIR, "unk"), 2000, False, "custom", ["[CAM]"]),
    }
    tiny_lines = [sentence(random.Random(i), PROMPT_WORDS) for i in range(4000)] + lines[:4000]
    models["tiny"] = train("tiny", tiny_lines, TINY_DIR, 1024, True, "custom", coverage=0.98)
    to_tokenizer_json(models["bf"], os.path.join(TEST_DIR, "bf", "spiece.model"),
                      os.path.join(TEST_DIR, "bf", "tokenizer.json"), "t5-2023")
    to_tokenizer_json(models["unk"], os.path.join(TEST_DIR, "unk", "spiece.model"),
                      os.path.join(TEST_DIR, "unk", "tokenizer.json"), "t5-2024")
    to_tokenizer_json(models["tiny"], os.path.join(TINY_DIR, "spiece.model"),
                      os.path.join(TINY_DIR, "tokenizer.json"), "t5-2023")
    write_diffusers_side_files(models["tiny"], TINY_DIR)
    for name in ("spiece.model", "tokenizer.json"):
        path = os.path.join(TEST_DIR, "bf", name)
        with open(path, "rb") as src, gzip.GzipFile(path + ".gz", "wb", compresslevel=9, mtime=0) as dst:
            shutil.copyfileobj(src, dst)
        os.remove(path)

    texts = test_corpus(99, words)
    rows_written = []
    with gzip.GzipFile(os.path.join(TEST_DIR, "corpus.jsonl.gz"), "wb", compresslevel=9, mtime=0) as raw, \
            io.TextIOWrapper(raw, encoding="utf-8") as f:
        for t in texts:
            row = {"text": t}
            for name, sp in models.items():
                if name != "tiny" or len(rows_written) < TINY_ROWS:
                    row[name] = sp.encode(t, out_type=int) + [sp.eos_id()]
            rows_written.append(1)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(os.path.join(TEST_DIR, "ids.json"), "w") as f:
        json.dump({name: {"vocab_size": sp.get_piece_size(), "eos": sp.eos_id(), "pad": sp.pad_id(),
                          "unk": sp.unk_id()} for name, sp in models.items()}, f, indent=2)
    print("wrote %d test strings; vocab sizes %s" % (
        len(texts), {n: sp.get_piece_size() for n, sp in models.items()}), file=sys.stderr)


if __name__ == "__main__":
    main()
