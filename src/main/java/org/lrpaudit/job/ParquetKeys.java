package org.lrpaudit.job;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.VersionParser;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReaderImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * The key columns of a Parquet file's rows (top-level, not repeated: a value or null per row), read with parquet-mr's
 * column readers: what decides which rows {@link ParquetRowCopy} copies, and what --baseline fingerprints.
 */
final class ParquetKeys {
    private ParquetKeys() {}

    /** Calls {@code row} with the key values of every row of {@code file}, as {@link Values#row} gives them; reads only the key columns. */
    static void forEach(Configuration conf, Path file, List<String> keyColumns, Consumer<Object[]> row) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf), HadoopReadOptions.builder(conf).build())) {
            FileMetaData meta = reader.getFooter().getFileMetaData();
            MessageType schema = meta.getSchema();
            for (String k : keyColumns) if (!schema.containsField(k)) throw new IllegalArgumentException(file + " has no top-level column " + k);
            MessageType projection = new MessageType(schema.getName(), keyColumns.stream().map(schema::getType).toList());
            reader.setRequestedSchema(projection);
            List<ColumnDescriptor> columns = projection.getColumns();
            int[] keys = keyColumns.stream().mapToInt(k -> topLevel(columns, k, file)).toArray();
            VersionParser.ParsedVersion version = version(meta.getCreatedBy());
            for (PageReadStore group; (group = reader.readNextRowGroup()) != null; ) {
                int rows = Math.toIntExact(group.getRowCount());
                Values values = new Values(group, columns, keys, version, rows);
                for (int r = 0; r < rows; r++) row.accept(values.row(r));
            }
        }
    }

    static int topLevel(List<ColumnDescriptor> columns, String name, Path source) {
        for (int c = 0; c < columns.size(); c++) {
            ColumnDescriptor d = columns.get(c);
            if (d.getPath().length == 1 && d.getPath()[0].equals(name)) return c;
        }
        throw new IllegalArgumentException(source + " has no top-level column " + name);
    }

    static VersionParser.ParsedVersion version(String createdBy) {
        try {
            return createdBy == null ? null : VersionParser.parse(createdBy);
        } catch (VersionParser.VersionParseException | RuntimeException e) {
            return null; // only used to work around bugs of old writers
        }
    }

    /** Values are read with getX(), never pushed to a converter. */
    static final PrimitiveConverter NO_CONVERTER = new PrimitiveConverter() {};

    /**
     * The key columns of a row group, read once, up front. Their pages are consumed by then, so a copy writes these
     * from memory.
     */
    static final class Values {
        private final int[] columns;
        private final Object[][] values; // [key][row]: Binary or Integer (as stored), or null
        private final int[][] levels;
        private final PrimitiveTypeName[] types;
        private final boolean[] text;

        Values(PageReadStore group, List<ColumnDescriptor> all, int[] keys, VersionParser.ParsedVersion version, int rows) {
            columns = keys;
            values = new Object[keys.length][rows];
            levels = new int[keys.length][rows];
            types = new PrimitiveTypeName[keys.length];
            text = new boolean[keys.length];
            for (int k = 0; k < keys.length; k++) {
                ColumnDescriptor d = all.get(keys[k]);
                types[k] = d.getPrimitiveType().getPrimitiveTypeName();
                text[k] = d.getPrimitiveType().getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation;
                ColumnReader in = new ColumnReaderImpl(d, group.getPageReader(d), NO_CONVERTER, version);
                int max = d.getMaxDefinitionLevel();
                for (int r = 0; r < rows; r++) {
                    int dl = in.getCurrentDefinitionLevel();
                    levels[k][r] = dl;
                    if (dl == max) values[k][r] = types[k] == PrimitiveTypeName.INT32 ? (Object) in.getInteger() : in.getBinary().copy();
                    in.consume();
                }
            }
        }

        /** Which key a column (index among all columns) is, or -1. */
        int indexOf(int column) {
            for (int k = 0; k < columns.length; k++) if (columns[k] == column) return k;
            return -1;
        }

        /** Key {@code k}'s value in row {@code r} as stored (Binary or Integer), or null. */
        Object value(int k, int r) { return values[k][r]; }

        /** Key {@code k}'s definition level in row {@code r}. */
        int level(int k, int r) { return levels[k][r]; }

        /** Row {@code r}'s keys: String for text, Integer for int32, else Binary; null where unset. */
        Object[] row(int r) {
            Object[] out = new Object[columns.length];
            for (int k = 0; k < columns.length; k++) {
                Object v = values[k][r];
                out[k] = v instanceof Binary b && text[k] ? b.toStringUsingUTF8() : v;
            }
            return out;
        }
    }
}
