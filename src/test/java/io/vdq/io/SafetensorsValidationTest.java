package io.vdq.io;

import static io.vdq.io.SafetensorsBytes.image;
import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.CheckpointException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per validation rule: each must fail with a CheckpointException naming the file and the tensor. */
class SafetensorsValidationTest {
    @TempDir Path dir;

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    private static CheckpointException refused(byte[] file, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.ofBytes("bad.st", file).close());
        assertTrue(e.getMessage().startsWith("bad.st: "), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        return e;
    }

    @Test
    void acceptsAWellFormedHandMadeFile() {
        byte[] f = image("{" + entry("w", "F32", "[2]", 0, 8) + "}  ", SafetensorsBytes.leFloats(1f, -3f));
        try (SafetensorsFile s = SafetensorsFile.ofBytes("ok", f)) {
            assertArrayEquals(new float[]{1f, -3f}, s.readFloat("w").toArray());
        }
    }

    @Test
    void rejectsFilesShorterThanTheHeaderLength() {
        refused(new byte[5], "5 bytes is too short for the 8-byte header length");
        refused(new byte[0], "0 bytes");
    }

    @Test
    void rejectsHeaderLengthsAboveTheLimit() {
        refused(image(100_000_001L, new byte[4], new byte[0]), "header length 100000001 exceeds the limit of 100000000");
        refused(image(-1L, new byte[4], new byte[0]), "header length 18446744073709551615 exceeds");
    }

    @Test
    void rejectsHeaderLengthsPastTheEndOfTheFile() {
        byte[] h = "{}".getBytes(StandardCharsets.UTF_8);
        refused(image(40, h, new byte[0]), "header length 40 runs past the end of the file (10 bytes, so at most 2)");
    }

    @Test
    void rejectsMalformedJson() {
        refused(image("{\"w\":{\"dtype\":\"F32\",", new byte[0]), "header is not well-formed JSON");
        refused(image("{} x", new byte[0]), "not well-formed JSON");
        refused(image(4, new byte[]{'{', '}', (byte) 0xC3, 0x28}, new byte[0]), "header is not valid UTF-8");
        refused(image("{}".getBytes(StandardCharsets.UTF_16LE).length, "{}".getBytes(StandardCharsets.UTF_16LE), new byte[0]),
                "not well-formed JSON");
        refused(image("{" + entry("w", "F32", "[0]", 0, 0) + "," + entry("w", "F32", "[0]", 0, 0) + "}", new byte[0]),
                "not well-formed JSON", "Duplicate field 'w'");
    }

    @Test
    void rejectsHeadersThatAreNotObjects() {
        refused(image("[1,2]", new byte[0]), "header must be a JSON object, found array");
        refused(image("{\"w\": 3}", new byte[0]), "tensor 'w': entry must be an object");
    }

    @Test
    void rejectsUnknownOrMissingDtypes() {
        refused(image("{" + entry("w", "F64", "[1]", 0, 8) + "}", new byte[8]), "tensor 'w': unknown dtype 'F64'");
        refused(image("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'w': dtype must be a string");
        refused(image("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'w': dtype must be a string, found nothing");
    }

    @Test
    void rejectsShapesThatAreNotNonNegativeIntegers() {
        refused(image("{" + entry("w", "F32", "[-1]", 0, 0) + "}", new byte[0]), "tensor 'w': shape must be an array of non-negative integers, found -1");
        refused(image("{" + entry("w", "F32", "[2.0]", 0, 8) + "}", new byte[8]), "tensor 'w': shape must be", "2.0");
        refused(image("{" + entry("w", "F32", "[\"2\"]", 0, 8) + "}", new byte[8]), "tensor 'w': shape must be");
        refused(image("{" + entry("w", "F32", "2", 0, 8) + "}", new byte[8]), "tensor 'w': shape must be", "found number");
        refused(image("{" + entry("w", "F32", "[99999999999999999999]", 0, 8) + "}", new byte[8]), "tensor 'w': shape must be");
        refused(image("{" + entry("w", "F32", "[4294967296,4294967296]", 0, 8) + "}", new byte[8]), "tensor 'w': shape", "overflows");
    }

    @Test
    void rejectsMalformedDataOffsets() {
        refused(image("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4]),
                "tensor 'w': data_offsets must be an array of 2 non-negative integers, found 1 entries");
        refused(image("{" + entry("w", "F32", "[1]", 8, 4) + "}", new byte[8]), "tensor 'w': data_offsets [8, 4] has begin after end");
        refused(image("{" + entry("w", "F32", "[1]", -4, 0) + "}", new byte[8]), "tensor 'w': data_offsets must be");
    }

    @Test
    void rejectsOffsetsOutsideTheDataRegion() {
        refused(image("{" + entry("w", "F32", "[2]", 4, 12) + "}", new byte[8]),
                "tensor 'w': data_offsets [4, 12] end beyond the data region of 8 bytes");
    }

    @Test
    void rejectsOverlappingTensorOffsets() {
        refused(image("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", new byte[12]),
                "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]");
    }

    @Test
    void rejectsByteCountsThatDoNotMatchTheShape() {
        refused(image("{" + entry("w", "BF16", "[2,3]", 0, 8) + "}", new byte[8]),
                "tensor 'w': data_offsets [0, 8] span 8 bytes but shape [2, 3] of BF16 needs 12");
    }

    @Test
    void rejectsNonStringMetadataAndUnexpectedFields() {
        refused(image("{\"__metadata__\":{\"format\":1}}", new byte[0]), "__metadata__ key 'format' must map to a string, found number");
        refused(image("{\"__metadata__\":[1]}", new byte[0]), "__metadata__ must be an object of strings");
        refused(image("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"extra\":1}}", new byte[0]),
                "tensor 'w': unexpected field 'extra'");
    }

    @Test
    void keepsMessagesOnOneLineForNamesWithControlCharacters() {
        refused(image("{" + entry("a\\nb", "F32", "[1]", 0, 8) + "}", new byte[8]), "tensor 'a b'");
    }

    @Test
    void namesTheFileWhenOpenedFromDisk() throws Exception {
        Path f = dir.resolve("broken.safetensors");
        Files.write(f, image("{" + entry("w", "F32", "[3]", 0, 8) + "}", new byte[8]));
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().startsWith(f + ": tensor 'w': "), e.getMessage());
        CheckpointException missing = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(dir.resolve("nope.safetensors")));
        assertTrue(missing.getMessage().endsWith("nope.safetensors: no such file"), missing.getMessage());
    }

    @Test
    void unknownTensorNamesAreReportedWithTheSource() {
        try (SafetensorsFile s = SafetensorsFile.ofBytes("mem", image("{}", new byte[0]))) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> s.readFloat("x"));
            assertEquals("mem: no tensor named 'x'", e.getMessage());
        }
    }

    @Test
    void rejectsDataBytesThatNoTensorCovers() {
        byte[] two = SafetensorsBytes.leFloats(1f, 2f, 3f);
        refused(image("{" + entry("w", "F32", "[2]", 0, 8) + "}", two), "4 trailing bytes after the last tensor's data");
        refused(image("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12) + "}", two),
                "data bytes [4, 8) before tensor 'b' belong to no tensor");
        refused(image("{" + entry("a", "F32", "[1]", 4, 8) + "}", SafetensorsBytes.leFloats(1f, 2f)), "data bytes [0, 4) before tensor 'a'");
        refused(image("{}", new byte[1]), "1 trailing bytes");
        try (SafetensorsFile s = SafetensorsFile.ofBytes("ok", image("{" + entry("e", "F32", "[0]", 0, 0) + "}", new byte[0]))) {
            assertEquals(0, s.info("e").bytes());
        }
    }
}
