package org.lrpaudit.job;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * One column chunk of a repeated FLOAT column (a heatmap: most of images/' bytes) copied row by row in bulk, for
 * {@link ParquetRowCopy}: a source page's levels are decoded into arrays and a kept row's floats move as one byte
 * copy; target pages are assembled as parquet-mr's version-1 writer lays them out (levels as run-length runs with
 * their length, plain little-endian values, page statistics from the same {@link Statistics} updates) and handed to
 * parquet-mr's page writer, which compresses them and builds the chunk's statistics and indexes. parquet-mr's value
 * reader and writer cost ~100 ns per float here; this costs a few.
 */
final class FloatListPages {
    /** parquet-mr's defaults: a page is closed at the first row boundary past 1 MB or 20,000 rows. */
    static final int PAGE_BYTES = 1024 * 1024, PAGE_ROWS = 20_000;

    private final PageReader in;
    private final PageWriter out;
    private final ColumnDescriptor column;
    private final int maxDl, rlWidth, dlWidth;
    private long left; // source entries (levels) not yet read

    private int[] rl = new int[0], dl = new int[0]; // the source page
    private int entries, at, valueAt;
    private ByteBuffer values;

    private int[] rowRl = new int[1024], rowDl = new int[1024]; // the row being copied
    private int rowEntries, rowBytes;
    private byte[] rowValues = new byte[4096];

    private int[] pageRl = new int[4096], pageDl = new int[4096]; // the target page
    private int pageEntries, pageBytes, pageRows;
    private byte[] pageValues = new byte[PAGE_BYTES + 8192];
    private Statistics<?> stats;

    /** Whether every chunk of {@code column} can be copied this way: FLOAT, repeated, run-length levels, plain values, no dictionary. */
    static boolean applies(ColumnDescriptor column, List<BlockMetaData> groups) {
        if (column.getPrimitiveType().getPrimitiveTypeName() != PrimitiveTypeName.FLOAT || column.getMaxRepetitionLevel() == 0) return false;
        for (BlockMetaData group : groups) {
            for (ColumnChunkMetaData chunk : group.getColumns()) {
                if (!Arrays.equals(chunk.getPath().toArray(), column.getPath())) continue;
                if (chunk.hasDictionaryPage() || !Set.of(Encoding.RLE, Encoding.PLAIN).containsAll(chunk.getEncodings())) return false;
            }
        }
        return true;
    }

    FloatListPages(ColumnDescriptor column, PageReader in, PageWriter out) {
        this.column = column;
        this.in = in;
        this.out = out;
        this.maxDl = column.getMaxDefinitionLevel();
        this.rlWidth = BytesUtils.getWidthFromMaxInt(column.getMaxRepetitionLevel());
        this.dlWidth = BytesUtils.getWidthFromMaxInt(maxDl);
        this.left = in.getTotalValueCount();
        this.stats = Statistics.createStats(column.getPrimitiveType());
    }

    /** Reads the next row and writes it {@code times} times (0: skips it). */
    void row(int times) throws IOException {
        readRow();
        for (int t = 0; t < times; t++) appendRow();
        if (pageBytes >= PAGE_BYTES || pageRows >= PAGE_ROWS) flushPage();
    }

    /** Writes the last page of the chunk. */
    void finish() throws IOException {
        if (pageEntries > 0) flushPage();
    }

    private void readRow() throws IOException {
        rowEntries = 0;
        rowBytes = 0;
        for (boolean first = true; left > 0; first = false) {
            if (at == entries) nextPage();
            if (!first && rl[at] == 0) break; // the next row starts on this page
            int end = at + 1; // the row's entries on this page: up to the next repetition level 0
            while (end < entries && rl[end] != 0) end++;
            int n = end - at, defined = 0;
            if (rowEntries + n > rowRl.length) {
                rowRl = Arrays.copyOf(rowRl, Math.max(2 * rowRl.length, rowEntries + n));
                rowDl = Arrays.copyOf(rowDl, rowRl.length);
            }
            System.arraycopy(rl, at, rowRl, rowEntries, n);
            System.arraycopy(dl, at, rowDl, rowEntries, n);
            for (int k = at; k < end; k++) if (dl[k] == maxDl) defined++;
            takeValues(valueAt, defined); // a row's values are contiguous on a page
            rowEntries += n;
            at = end;
            left -= n;
            if (end < entries) break;
        }
    }

    private void takeValues(int start, int count) {
        if (count == 0) return;
        if (rowBytes + 4 * count > rowValues.length) rowValues = Arrays.copyOf(rowValues, Math.max(2 * rowValues.length, rowBytes + 4 * count));
        values.get(4 * start, rowValues, rowBytes, 4 * count);
        rowBytes += 4 * count;
        valueAt = start + count;
    }

    private void appendRow() {
        if (pageEntries + rowEntries > pageRl.length) {
            pageRl = Arrays.copyOf(pageRl, Math.max(2 * pageRl.length, pageEntries + rowEntries));
            pageDl = Arrays.copyOf(pageDl, pageRl.length);
        }
        System.arraycopy(rowRl, 0, pageRl, pageEntries, rowEntries);
        System.arraycopy(rowDl, 0, pageDl, pageEntries, rowEntries);
        pageEntries += rowEntries;
        if (pageBytes + rowBytes > pageValues.length) pageValues = Arrays.copyOf(pageValues, Math.max(2 * pageValues.length, pageBytes + rowBytes));
        System.arraycopy(rowValues, 0, pageValues, pageBytes, rowBytes);
        updateStats();
        for (int i = 0; i < rowEntries; i++) if (rowDl[i] != maxDl) stats.incrementNumNulls();
        pageBytes += rowBytes;
        pageRows++;
    }

    /**
     * The page statistics of the row's values: their least and greatest by {@link Float#compare} give the same min and
     * max as one update per value; a row holding NaN takes one update per value (the statistics treat NaN apart).
     */
    private void updateStats() {
        if (rowBytes == 0) return;
        // Float.compare's order (parquet's for FLOAT statistics: -0.0 below 0.0) as signed int order: flip the
        // magnitude bits of negative values. Integer min/max over the raw bits, no float conversion; NaN (beyond
        // ±infinity in this order) sends the row value by value, as parquet-mr's writer treats it.
        int min = Integer.MAX_VALUE, max = Integer.MIN_VALUE;
        for (int at = 0; at < rowBytes; at += 4) {
            int ordered = ordered((int) LITTLE_ENDIAN_INT.get(rowValues, at));
            min = Math.min(min, ordered);
            max = Math.max(max, ordered);
        }
        if (max > POSITIVE_INFINITY_ORDERED || min < NEGATIVE_INFINITY_ORDERED) {
            for (int at = 0; at < rowBytes; at += 4) stats.updateStats(Float.intBitsToFloat((int) LITTLE_ENDIAN_INT.get(rowValues, at)));
        } else {
            stats.updateStats(Float.intBitsToFloat(ordered(min)));
            stats.updateStats(Float.intBitsToFloat(ordered(max)));
        }
    }

    private static final java.lang.invoke.VarHandle LITTLE_ENDIAN_INT = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int POSITIVE_INFINITY_ORDERED = ordered(Float.floatToRawIntBits(Float.POSITIVE_INFINITY));
    private static final int NEGATIVE_INFINITY_ORDERED = ordered(Float.floatToRawIntBits(Float.NEGATIVE_INFINITY));

    /** Float bits to an int whose signed order is Float.compare's, and back (the mapping is its own inverse). */
    private static int ordered(int bits) { return bits ^ ((bits >> 31) & 0x7fffffff); }

    private void flushPage() throws IOException {
        BytesInput page = BytesInput.concat(levels(pageRl, pageEntries, rlWidth), levels(pageDl, pageEntries, dlWidth),
                BytesInput.from(pageValues, 0, pageBytes));
        out.writePage(page, pageEntries, pageRows, stats, Encoding.RLE, Encoding.RLE, Encoding.PLAIN);
        pageValues = new byte[pageValues.length]; // the page writer may still refer to the array
        pageEntries = pageBytes = pageRows = 0;
        stats = Statistics.createStats(column.getPrimitiveType());
    }

    private void nextPage() throws IOException {
        DataPage page = in.readPage();
        if (!(page instanceof DataPageV1 v1) || v1.getRlEncoding() != Encoding.RLE || v1.getDlEncoding() != Encoding.RLE
                || v1.getValueEncoding() != Encoding.PLAIN) {
            throw new UnsupportedOperationException(column + ": a page other than version 1 with RLE levels and PLAIN values: " + page);
        }
        entries = page.getValueCount();
        if (rl.length < entries) {
            rl = new int[entries];
            dl = new int[entries];
        }
        ByteBuffer bytes = v1.getBytes().toByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
        decode(bytes, rlWidth, rl, entries);
        decode(bytes, dlWidth, dl, entries);
        values = bytes.slice(); // the plain values follow the levels
        at = 0;
        valueAt = 0;
    }

    /**
     * Decodes {@code n} levels of the run-length/bit-packing hybrid encoding behind their 4-byte length, advancing
     * {@code bytes} past them. (parquet-mr's decoder does the same, but logs at debug level per run: most of its time
     * on heatmap levels, whose runs are a row long.)
     */
    static void decode(ByteBuffer bytes, int width, int[] into, int n) throws IOException {
        int length = bytes.getInt(), end = bytes.position() + length, valueBytes = (width + 7) / 8, mask = (1 << width) - 1;
        int i = 0;
        while (i < n) {
            if (bytes.position() >= end) throw new IOException("levels end after " + i + " of " + n);
            int header = varInt(bytes);
            if ((header & 1) == 0) { // a run: count, then the value in whole bytes
                int count = header >>> 1, value = 0;
                for (int b = 0; b < valueBytes; b++) value |= (bytes.get() & 0xff) << (8 * b);
                Arrays.fill(into, i, Math.min(n, i + count), value);
                i += count;
            } else { // bit-packed groups of 8 values, least significant bit first
                int count = (header >>> 1) * 8;
                long bits = 0;
                int have = 0;
                for (int k = 0; k < count; k++) {
                    while (have < width) {
                        bits |= (long) (bytes.get() & 0xff) << have;
                        have += 8;
                    }
                    if (i < n) into[i] = (int) (bits & mask);
                    i++;
                    bits >>>= width;
                    have -= width;
                }
            }
        }
        bytes.position(end);
    }

    private static int varInt(ByteBuffer bytes) {
        int value = 0;
        for (int shift = 0; ; shift += 7) {
            int b = bytes.get() & 0xff;
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
    }

    /** Levels in the run-length/bit-packing hybrid encoding, as runs only, behind their 4-byte length (version-1 pages). */
    static BytesInput levels(int[] levels, int n, int bitWidth) throws IOException {
        ByteArrayOutputStream runs = new ByteArrayOutputStream(64);
        int valueBytes = (bitWidth + 7) / 8;
        for (int i = 0; i < n; ) {
            int j = i + 1;
            while (j < n && levels[j] == levels[i]) j++;
            BytesUtils.writeUnsignedVarInt((j - i) << 1, runs);
            for (int b = 0; b < valueBytes; b++) runs.write(levels[i] >>> (8 * b));
            i = j;
        }
        byte[] body = runs.toByteArray();
        return BytesInput.concat(BytesInput.fromInt(body.length), BytesInput.from(body));
    }
}
