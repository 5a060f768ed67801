package org.lrpaudit.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import onnx.Onnx.StringStringEntryProto;
import onnx.Onnx.TensorProto;

/**
 * Decodes ONNX TensorProtos into {@link Tensor}s. Every size is checked against the bytes actually present
 * before an array is allocated, and external data is read only from files inside the model's own folder.
 */
final class OnnxTensors {
    // TensorProto.DataType values
    private static final int FLOAT = 1, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10, DOUBLE = 11;

    private final Path modelDir;

    OnnxTensors(Path modelDir) { this.modelDir = modelDir; }

    Tensor toFloat(TensorProto t) {
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        int n = checkedCount(t, shape);
        float[] out = new float[n];
        switch (t.getDataType()) {
            case FLOAT -> {
                if (hasBytes(t)) bytes(t, n, 4).asFloatBuffer().get(out);
                else copyTyped(t, n, t.getFloatDataCount(), i -> t.getFloatData(i), out);
            }
            case DOUBLE -> {
                if (hasBytes(t)) {
                    var b = bytes(t, n, 8).asDoubleBuffer();
                    for (int i = 0; i < n; i++) out[i] = (float) b.get(i);
                } else copyTyped(t, n, t.getDoubleDataCount(), i -> t.getDoubleData(i), out);
            }
            case FLOAT16 -> {
                if (hasBytes(t)) {
                    var b = bytes(t, n, 2).asShortBuffer();
                    for (int i = 0; i < n; i++) out[i] = halfToFloat(b.get(i));
                } else copyTyped(t, n, t.getInt32DataCount(), i -> halfToFloat((short) t.getInt32Data(i)), out);
            }
            default -> throw new ModelFormatException("tensor '" + t.getName() + "' has data type " + t.getDataType()
                    + "; weights must be float32, float64 or float16");
        }
        return new Tensor(shape, out);
    }

    long[] toLongs(TensorProto t) {
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        int n = checkedCount(t, shape);
        long[] out = new long[n];
        switch (t.getDataType()) {
            case INT64 -> {
                if (hasBytes(t)) bytes(t, n, 8).asLongBuffer().get(out);
                else { requireCount(t, n, t.getInt64DataCount()); for (int i = 0; i < n; i++) out[i] = t.getInt64Data(i); }
            }
            case INT32 -> {
                if (hasBytes(t)) { var b = bytes(t, n, 4).asIntBuffer(); for (int i = 0; i < n; i++) out[i] = b.get(i); }
                else { requireCount(t, n, t.getInt32DataCount()); for (int i = 0; i < n; i++) out[i] = t.getInt32Data(i); }
            }
            default -> throw new ModelFormatException("tensor '" + t.getName() + "' must hold integers (int32/int64), has data type "
                    + t.getDataType());
        }
        return out;
    }

    /** A numeric constant as a {@link StaticTensor} for import-time arithmetic, or null if it holds no numbers. */
    StaticTensor toStatic(TensorProto t) {
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        return switch (t.getDataType()) {
            case FLOAT, DOUBLE, FLOAT16 -> {
                float[] f = toFloat(t).data();
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) d[i] = f[i];
                yield new StaticTensor(shape, d, false);
            }
            case INT64, INT32 -> new StaticTensor(shape, java.util.Arrays.stream(toLongs(t)).asDoubleStream().toArray(), true);
            case BOOL -> {
                int n = checkedCount(t, shape);
                double[] d = new double[n];
                if (hasBytes(t)) { ByteBuffer b = bytes(t, n, 1); for (int i = 0; i < n; i++) d[i] = b.get(i) != 0 ? 1 : 0; }
                else { requireCount(t, n, t.getInt32DataCount()); for (int i = 0; i < n; i++) d[i] = t.getInt32Data(i) != 0 ? 1 : 0; }
                yield new StaticTensor(shape, d, true);
            }
            default -> null;
        };
    }

    /** A value computed at import, stored as a constant of the graph: int64 or float32. */
    static TensorProto toProto(String name, StaticTensor v) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name);
        for (long d : v.shape()) b.addDims(d);
        if (v.integer()) {
            b.setDataType(INT64);
            for (double x : v.data()) b.addInt64Data((long) x);
        } else {
            b.setDataType(FLOAT);
            for (double x : v.data()) b.addFloatData((float) x);
        }
        return b.build();
    }

    /** The first element of a small inline tensor (ConstantOfShape's fill value). */
    static double firstValue(TensorProto t) {
        boolean raw = !t.getRawData().isEmpty();
        ByteBuffer b = raw ? t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN) : null;
        return switch (t.getDataType()) {
            case FLOAT -> raw ? b.getFloat(0) : t.getFloatData(0);
            case DOUBLE -> raw ? b.getDouble(0) : t.getDoubleData(0);
            case INT64 -> raw ? b.getLong(0) : t.getInt64Data(0);
            case INT32 -> raw ? b.getInt(0) : t.getInt32Data(0);
            case BOOL -> raw ? b.get(0) : t.getInt32Data(0);
            default -> throw new ModelFormatException("ConstantOfShape with a value of data type " + t.getDataType());
        };
    }

    private static int checkedCount(TensorProto t, long[] shape) {
        long n;
        try {
            n = Tensor.elementCount(shape);
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw new ModelFormatException("tensor '" + t.getName() + "' has impossible dimensions " + Arrays.toString(shape));
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException("tensor '" + t.getName() + "' claims " + n + " values " + Arrays.toString(shape)
                    + ", more than one array can hold");
        }
        return (int) n;
    }

    private static boolean hasBytes(TensorProto t) {
        return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || !t.getRawData().isEmpty();
    }

    private static void requireCount(TensorProto t, int expected, int present) {
        if (expected != present) {
            throw new ModelFormatException("tensor '" + t.getName() + "' of shape " + t.getDimsList() + " needs " + expected
                    + " values but the file holds " + present + " (truncated or corrupt model)");
        }
    }

    private static void copyTyped(TensorProto t, int n, int present, java.util.function.IntToDoubleFunction get, float[] out) {
        requireCount(t, n, present);
        for (int i = 0; i < n; i++) out[i] = (float) get.applyAsDouble(i);
    }

    /** The tensor's bytes (raw_data or external file), little-endian, after checking their length. */
    private ByteBuffer bytes(TensorProto t, int n, int elementSize) {
        long expected = (long) n * elementSize;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) return external(t, expected);
        long present = t.getRawData().size();
        if (present != expected) {
            throw new ModelFormatException("tensor '" + t.getName() + "' of shape " + t.getDimsList() + " needs " + expected
                    + " bytes but the file holds " + present + " (truncated or corrupt model)");
        }
        return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer external(TensorProto t, long expected) {
        String location = null;
        long offset = 0, length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = parseLong(t, e);
                case "length" -> length = parseLong(t, e);
                default -> { /* checksum and others: not needed */ }
            }
        }
        if (location == null) throw new ModelFormatException("tensor '" + t.getName() + "' is external but names no location");
        if (modelDir == null) {
            throw new ModelFormatException("tensor '" + t.getName() + "' is stored in an external file; load the model from a file path");
        }
        Path file;
        try {
            Path dir = modelDir.toRealPath();
            file = dir.resolve(location).normalize();
            if (!file.startsWith(dir) || !Files.isRegularFile(file) || !file.toRealPath().startsWith(dir)) {
                throw new ModelFormatException("tensor '" + t.getName() + "' points to external data '" + location
                        + "' outside the model's folder " + dir + "; external weight files must sit beside the model");
            }
        } catch (IOException e) {
            throw new ModelFormatException("tensor '" + t.getName() + "': external data '" + location + "' cannot be read: " + e);
        }
        if (length >= 0 && length != expected) {
            throw new ModelFormatException("tensor '" + t.getName() + "' declares " + length + " external bytes, its shape needs " + expected);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (offset < 0 || offset + expected > ch.size()) {
                throw new ModelFormatException("tensor '" + t.getName() + "' needs bytes " + offset + ".." + (offset + expected)
                        + " of '" + location + "', which has " + ch.size() + " (truncated external data)");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) expected);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) break;
            }
            buf.flip();
            return buf.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ModelFormatException("tensor '" + t.getName() + "': reading '" + location + "' failed: " + e);
        }
    }

    private static long parseLong(TensorProto t, StringStringEntryProto e) {
        try {
            return Long.parseLong(e.getValue());
        } catch (NumberFormatException ex) {
            throw new ModelFormatException("tensor '" + t.getName() + "': external_data " + e.getKey() + " is not a number: " + e.getValue());
        }
    }

    /** IEEE 754 half precision to float. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) return Float.intBitsToFloat(sign) + (sign != 0 ? -1 : 1) * mant * 0x1p-24f;
        if (exp == 31) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
