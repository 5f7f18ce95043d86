package io.vdq.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds safetensors images by hand (independently of the writer) for reader and validation tests. */
final class SafetensorsBytes {
    private SafetensorsBytes() {}

    /** 8-byte little-endian header length, the header text as UTF-8, then the data bytes. */
    static byte[] image(String headerJson, byte[] data) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        return image(h.length, h, data);
    }

    /** As above with an arbitrary (possibly lying) header length. */
    static byte[] image(long declaredLength, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        return b.array();
    }

    /** The declared header length of an image (its first 8 bytes, little-endian), clamped to [0, 2^31). */
    static long readLength(byte[] image) {
        if (image.length < 8) return 0;
        long n = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return n < 0 || n > Integer.MAX_VALUE ? 0 : n;
    }

    static byte[] le(long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return b.array();
    }

    static byte[] leFloats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }
}
