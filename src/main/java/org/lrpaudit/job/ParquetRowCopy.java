package org.lrpaudit.job;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.VersionParser;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.impl.ColumnReaderImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.values.factory.DefaultV1ValuesWriterFactory;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Copies chosen rows of one Parquet file into a new file with the same schema and footer metadata, column by column
 * and value by value: each value moves from parquet-mr's column reader to its column writer with its repetition and
 * definition levels, so rows are never assembled (no Spark rows, no record shredding) and types and layout are kept
 * exactly. For --baseline this costs a fraction of a Spark read-filter-write of the same rows (docs/scheduled-audits.md).
 * <p>
 * Which rows, and how often: a row's {@link Copies} from its key columns (top-level, not repeated). A row given 0 is
 * left out, 2 is written twice. Columns named in {@code nulled} (top-level, optional) are written as null.
 */
final class ParquetRowCopy implements Serializable {
    /** How many copies of a row the target gets, from its key values: String for text, Integer for int32, else Binary; null where unset. */
    interface Copies extends Serializable {
        int of(Object[] keys);
    }

    /** Rows read from the source and written to the target (none written: no target file); columns copied in bulk ({@link FloatListPages}). */
    record Result(long read, long written, int bulkColumns) {}

    /** Spark's row group size (parquet.block.size): a source row group becomes one target row group, never larger. */
    private static final long ROW_GROUP_BYTES = 128L * 1024 * 1024;

    private final CompressionCodecName codec;
    private final Set<String> nulled;

    ParquetRowCopy(CompressionCodecName codec, Set<String> nulled) {
        this.codec = codec;
        this.nulled = Set.copyOf(nulled);
    }

    /**
     * Copies the rows of {@code source} that {@code copies} keeps to {@code target} (not created if none is kept); null,
     * writing nothing, if {@code expected} is given and is not the source's schema.
     */
    Result copy(Configuration conf, Path source, Path target, List<String> keyColumns, Copies copies, MessageType expected) throws IOException {
        try {
            return copy(conf, source, target, keyColumns, copies, expected, true);
        } catch (UnsupportedOperationException e) { // a page FloatListPages does not read: the file again, value by value
            target.getFileSystem(conf).delete(target, false);
            return copy(conf, source, target, keyColumns, copies, expected, false);
        }
    }

    private Result copy(Configuration conf, Path source, Path target, List<String> keyColumns, Copies copies, MessageType expected, boolean bulk)
            throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(source, conf), HadoopReadOptions.builder(conf).build())) {
            FileMetaData meta = reader.getFooter().getFileMetaData();
            MessageType schema = meta.getSchema();
            if (expected != null && !expected.equals(schema)) return null;
            List<ColumnDescriptor> columns = schema.getColumns();
            int[] keys = keyColumns.stream().mapToInt(k -> ParquetKeys.topLevel(columns, k, source)).toArray();
            VersionParser.ParsedVersion version = ParquetKeys.version(meta.getCreatedBy());
            if (reader.getFooter().getBlocks().isEmpty()) return new Result(0, 0, 0);
            ParquetProperties props = properties(reader.getFooter().getBlocks().get(0));
            boolean[] inBulk = new boolean[columns.size()];
            for (int c = 0; c < inBulk.length; c++) {
                ColumnDescriptor d = columns.get(c);
                String field = d.getPath()[0];
                boolean onlyLeaf = columns.stream().filter(e -> e.getPath()[0].equals(field)).count() == 1; // the field's pages are all its
                inBulk[c] = bulk && onlyLeaf && !nulled.contains(field) && FloatListPages.applies(d, reader.getFooter().getBlocks());
            }
            CodecFactory codecs = new CodecFactory(conf, props.getPageSizeThreshold());
            ParquetFileWriter writer = null;
            long read = 0, written = 0;
            boolean ended = false;
            try {
                for (PageReadStore group; (group = reader.readNextRowGroup()) != null; ) {
                    int rows = Math.toIntExact(group.getRowCount());
                    read += rows;
                    ParquetKeys.Values keyValues = new ParquetKeys.Values(group, columns, keys, version, rows);
                    int[] n = new int[rows];
                    long kept = 0;
                    for (int r = 0; r < rows; r++) kept += n[r] = copies.of(keyValues.row(r));
                    if (kept == 0) continue;
                    if (writer == null) {
                        writer = new ParquetFileWriter(HadoopOutputFile.fromPath(target, conf), schema, ParquetFileWriter.Mode.CREATE,
                                ROW_GROUP_BYTES, 0, props.getColumnIndexTruncateLength(), props.getStatisticsTruncateLength(),
                                props.getPageWriteChecksumEnabled());
                        writer.start();
                    }
                    copyGroup(group, schema, columns, inBulk, keyValues, version, n, kept, props, codecs.getCompressor(codec), writer);
                    written += kept;
                }
                if (writer != null) writer.end(meta.getKeyValueMetaData()); // closes the file
                ended = true;
            } finally {
                codecs.release();
                if (writer != null && !ended) writer.close();
            }
            int bulkColumns = 0;
            for (boolean b : inBulk) if (b) bulkColumns++;
            return new Result(read, written, bulkColumns);
        }
    }

    /**
     * Writer settings: parquet-mr's defaults (Spark's too), except that a column tries dictionary encoding only if the
     * source's column chunk kept a dictionary (a writer that gave up on one, e.g. for heatmap floats, would give up
     * again after hashing every value), and no size statistics (optional; a histogram update per value).
     */
    private static ParquetProperties properties(BlockMetaData first) {
        // a factory of its own: parquet-mr's default delegates to one static factory that holds the settings of
        // whichever writer the JVM configured last, so concurrent writers can end up with each other's choices
        ParquetProperties.Builder b = ParquetProperties.builder().withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
                .withValuesWriterFactory(new DefaultV1ValuesWriterFactory()).withSizeStatisticsEnabled(false);
        for (ColumnChunkMetaData chunk : first.getColumns()) b.withDictionaryEncoding(chunk.getPath().toDotString(), chunk.hasDictionaryPage());
        return b.build();
    }

    private void copyGroup(PageReadStore group, MessageType schema, List<ColumnDescriptor> columns, boolean[] inBulk, ParquetKeys.Values keyValues,
            VersionParser.ParsedVersion version, int[] n, long kept, ParquetProperties props, CodecFactory.BytesCompressor compressor,
            ParquetFileWriter writer) throws IOException {
        ColumnChunkPageWriteStore pages = new ColumnChunkPageWriteStore(compressor, schema, props.getAllocator(),
                props.getColumnIndexTruncateLength(), props.getPageWriteChecksumEnabled());
        // the value-by-value columns go through a column store; bulk columns hand their pages to the page store directly
        List<Type> valueFields = new ArrayList<>();
        for (Type field : schema.getFields()) if (!bulkField(field, columns, inBulk)) valueFields.add(field);
        ColumnWriteStore store = props.newColumnWriteStore(new MessageType(schema.getName(), valueFields), pages, pages);
        List<ColumnCopier> copiers = new ArrayList<>(columns.size());
        List<FloatListPages> bulk = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            ColumnDescriptor d = columns.get(c);
            if (inBulk[c]) {
                FloatListPages f = new FloatListPages(d, group.getPageReader(d), pages.getPageWriter(d));
                bulk.add(f);
                copiers.add(new ColumnCopier() {
                    @Override public void copy(int row, int times) throws IOException { f.row(times); }

                    @Override public void skip(int row) throws IOException { f.row(0); }
                });
                continue;
            }
            ColumnWriter out = store.getColumnWriter(d);
            boolean asNull = nulled.contains(d.getPath()[0]);
            int k = keyValues.indexOf(c);
            copiers.add(k >= 0 ? new KeyCopier(keyValues, k, out, asNull) : new ValueCopier(new ColumnReaderImpl(d, group.getPageReader(d), ParquetKeys.NO_CONVERTER, version), out, asNull));
        }
        for (int r = 0; r < n.length; r++) {
            if (n[r] == 0) {
                for (ColumnCopier c : copiers) c.skip(r);
                continue;
            }
            for (ColumnCopier c : copiers) c.copy(r, n[r]);
            for (int i = 0; i < n[r]; i++) store.endRecord();
        }
        for (FloatListPages f : bulk) f.finish();
        store.flush();
        writer.startBlock(kept);
        pages.flushToFileWriter(writer);
        writer.endBlock();
        store.close();
        pages.close();
    }

    private static boolean bulkField(Type field, List<ColumnDescriptor> columns, boolean[] inBulk) {
        for (int c = 0; c < columns.size(); c++) if (inBulk[c] && columns.get(c).getPath()[0].equals(field.getName())) return true;
        return false;
    }

    /** One column of the target: copies or skips a source row's values. */
    private interface ColumnCopier {
        void copy(int row, int times) throws IOException;

        void skip(int row) throws IOException;
    }

    private static final class KeyCopier implements ColumnCopier {
        private final ParquetKeys.Values keys;
        private final int k;
        private final ColumnWriter out;
        private final boolean asNull;

        KeyCopier(ParquetKeys.Values keys, int k, ColumnWriter out, boolean asNull) {
            this.keys = keys;
            this.k = k;
            this.out = out;
            this.asNull = asNull;
        }

        @Override public void copy(int row, int times) {
            Object v = asNull ? null : keys.value(k, row);
            for (int i = 0; i < times; i++) {
                if (v == null) out.writeNull(0, asNull ? 0 : keys.level(k, row));
                else if (v instanceof Integer x) out.write(x, 0, keys.level(k, row));
                else out.write((Binary) v, 0, keys.level(k, row));
            }
        }

        @Override public void skip(int row) {}
    }

    /** A column streamed from its reader: a row is its values up to the next repetition level 0. */
    private static final class ValueCopier implements ColumnCopier {
        private final ColumnReader in;
        private final ColumnWriter out;
        private final boolean asNull;
        private final PrimitiveTypeName type;
        private final int max;
        private long left;
        private final List<Object[]> replay = new ArrayList<>(); // a row written more than once: rl, dl, value

        ValueCopier(ColumnReader in, ColumnWriter out, boolean asNull) {
            this.in = in;
            this.out = out;
            this.asNull = asNull;
            this.type = in.getDescriptor().getPrimitiveType().getPrimitiveTypeName();
            this.max = in.getDescriptor().getMaxDefinitionLevel();
            this.left = in.getTotalValueCount();
        }

        @Override public void skip(int row) {
            do {
                if (in.getCurrentDefinitionLevel() == max) in.skip();
                next();
            } while (inRow());
        }

        @Override public void copy(int row, int times) {
            if (asNull) {
                skip(row);
                for (int i = 0; i < times; i++) out.writeNull(0, 0);
            } else if (times == 1) {
                do {
                    int rl = in.getCurrentRepetitionLevel(), dl = in.getCurrentDefinitionLevel();
                    if (dl == max) copyValue(rl, dl);
                    else out.writeNull(rl, dl);
                    next();
                } while (inRow());
            } else {
                replay.clear();
                do {
                    int dl = in.getCurrentDefinitionLevel();
                    replay.add(new Object[] {in.getCurrentRepetitionLevel(), dl, dl == max ? read() : null});
                    next();
                } while (inRow());
                for (int i = 0; i < times; i++) {
                    for (Object[] v : replay) {
                        if (v[2] == null) out.writeNull((int) v[0], (int) v[1]);
                        else write((int) v[0], (int) v[1], v[2]);
                    }
                }
            }
        }

        /** The reader's current value to the writer, unboxed and uncopied (written before the reader moves on). */
        private void copyValue(int rl, int dl) {
            switch (type) {
                case INT32 -> out.write(in.getInteger(), rl, dl);
                case INT64 -> out.write(in.getLong(), rl, dl);
                case FLOAT -> out.write(in.getFloat(), rl, dl);
                case DOUBLE -> out.write(in.getDouble(), rl, dl);
                case BOOLEAN -> out.write(in.getBoolean(), rl, dl);
                default -> out.write(in.getBinary(), rl, dl);
            }
        }

        /** The current value kept for replay (a row written more than once). */
        private Object read() {
            return switch (type) {
                case INT32 -> in.getInteger();
                case INT64 -> in.getLong();
                case FLOAT -> in.getFloat();
                case DOUBLE -> in.getDouble();
                case BOOLEAN -> in.getBoolean();
                default -> in.getBinary().copy(); // BINARY, FIXED_LEN_BYTE_ARRAY, INT96: the reader may reuse its buffer
            };
        }

        private void write(int rl, int dl, Object v) {
            switch (type) {
                case INT32 -> out.write((int) (Integer) v, rl, dl);
                case INT64 -> out.write((long) (Long) v, rl, dl);
                case FLOAT -> out.write((float) (Float) v, rl, dl);
                case DOUBLE -> out.write((double) (Double) v, rl, dl);
                case BOOLEAN -> out.write((boolean) (Boolean) v, rl, dl);
                default -> out.write((Binary) v, rl, dl);
            }
        }

        private void next() {
            in.consume();
            left--;
        }

        /** Whether the reader is still inside the row it was copying (there are values left and the next one repeats). */
        private boolean inRow() { return left > 0 && in.getCurrentRepetitionLevel() != 0; }
    }
}
