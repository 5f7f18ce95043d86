package io.vdq.text;

import java.nio.charset.StandardCharsets;

/**
 * The protobuf wire format, just enough to walk a SentencePiece {@code ModelProto}: varints, 32/64-bit
 * fixed fields and length-delimited fields. Unknown fields are skipped by their wire type, so files written
 * by newer trainers (with more fields) still read. Malformed input raises {@link IllegalArgumentException};
 * the caller turns it into a one-line error naming the file.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    private final byte[] buf;
    private int pos;
    private final int end;
    private int tag;

    ProtoReader(byte[] buf) { this(buf, 0, buf.length); }

    private ProtoReader(byte[] buf, int from, int to) {
        this.buf = buf;
        this.pos = from;
        this.end = to;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (pos >= end) return false;
        long key = varint();
        if (key >>> 3 == 0 || key >>> 32 != 0) throw new IllegalArgumentException("bad field key " + key + " at byte " + pos);
        tag = (int) key;
        return true;
    }

    int field() { return tag >>> 3; }

    int wireType() { return tag & 7; }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw new IllegalArgumentException("truncated varint at byte " + pos);
            int b = buf[pos++] & 0xFF;
            result |= (long) (b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new IllegalArgumentException("varint longer than 10 bytes at byte " + pos);
    }

    /** An int32 or enum field (negative int32 values are sign-extended 10-byte varints). */
    int int32() {
        expect(VARINT);
        return (int) varint();
    }

    boolean bool() {
        expect(VARINT);
        return varint() != 0;
    }

    float float32() {
        expect(FIXED32);
        need(4);
        int bits = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    byte[] bytes() {
        int[] range = lengthDelimited();
        byte[] out = new byte[range[1] - range[0]];
        System.arraycopy(buf, range[0], out, 0, out.length);
        return out;
    }

    String string() {
        int[] range = lengthDelimited();
        return new String(buf, range[0], range[1] - range[0], StandardCharsets.UTF_8);
    }

    /** A reader over the embedded message of the current length-delimited field. */
    ProtoReader message() {
        int[] range = lengthDelimited();
        return new ProtoReader(buf, range[0], range[1]);
    }

    void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case FIXED64 -> { need(8); pos += 8; }
            case FIXED32 -> { need(4); pos += 4; }
            case LEN -> lengthDelimited();
            default -> throw new IllegalArgumentException("unsupported wire type " + wireType() + " of field " + field());
        }
    }

    private int[] lengthDelimited() {
        expect(LEN);
        long n = varint();
        if (n < 0 || n > end - pos) throw new IllegalArgumentException("field " + field() + " length " + n + " runs past the end");
        int from = pos;
        pos += (int) n;
        return new int[] {from, pos};
    }

    private void expect(int wire) {
        if (wireType() != wire)
            throw new IllegalArgumentException("field " + field() + " has wire type " + wireType() + ", expected " + wire);
    }

    private void need(int n) {
        if (end - pos < n) throw new IllegalArgumentException("field " + field() + " truncated at byte " + pos);
    }
}
