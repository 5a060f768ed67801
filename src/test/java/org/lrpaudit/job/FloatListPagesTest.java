package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridValuesReader;
import org.junit.jupiter.api.Test;

/** The level codec of {@link FloatListPages} against parquet-mr's own encoder and decoder, runs and bit-packed groups. */
class FloatListPagesTest {
    /** Levels as heatmap rows give them (0 then a row of 1s), empty rows (0s) and noise (bit-packed groups). */
    static int[] levels(int n, int max, long seed) {
        Random random = new Random(seed);
        int[] v = new int[n];
        for (int i = 0; i < n; ) {
            int kind = random.nextInt(3), len = 1 + random.nextInt(kind == 0 ? 800 : 12);
            for (int k = 0; k < len && i < n; k++, i++) v[i] = kind == 0 ? (k == 0 ? 0 : max) : kind == 1 ? 0 : random.nextInt(max + 1);
        }
        return v;
    }

    @Test
    void decodesWhatParquetEncodes() throws IOException {
        for (int max : new int[] {1, 2, 3, 7, 300}) {
            int width = 32 - Integer.numberOfLeadingZeros(max);
            int[] expected = levels(20_000, max, max);
            RunLengthBitPackingHybridEncoder encoder = new RunLengthBitPackingHybridEncoder(width, 64, 1 << 20, new HeapByteBufferAllocator());
            for (int v : expected) encoder.writeInt(v);
            BytesInput body = encoder.toBytes();
            ByteBuffer page = BytesInput.concat(BytesInput.fromInt((int) body.size()), body, BytesInput.from(new byte[] {42})).toByteBuffer()
                    .order(ByteOrder.LITTLE_ENDIAN);
            int[] decoded = new int[expected.length];
            FloatListPages.decode(page, width, decoded, expected.length);
            assertArrayEquals(expected, decoded, "max level " + max);
            assertEquals(42, page.get(), "positioned after the levels");
        }
    }

    @Test
    void parquetDecodesWhatItWrites() throws IOException {
        for (int max : new int[] {1, 2, 300}) {
            int width = 32 - Integer.numberOfLeadingZeros(max);
            int[] expected = levels(20_000, max, 7 * max);
            RunLengthBitPackingHybridValuesReader reader = new RunLengthBitPackingHybridValuesReader(width);
            reader.initFromPage(expected.length, ByteBufferInputStream.wrap(FloatListPages.levels(expected, expected.length, width).toByteBuffer()));
            int[] decoded = new int[expected.length];
            for (int i = 0; i < decoded.length; i++) decoded[i] = reader.readInteger();
            assertArrayEquals(expected, decoded, "max level " + max);
        }
    }
}
