package dev.kiln.io;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes {@code .safetensors} files: an 8-byte little-endian header length, a JSON header
 * {@code {name: {"dtype", "shape", "data_offsets": [begin, end]}}} (plus an optional {@code __metadata__}
 * map of strings), then the little-endian tensor bytes. Element types F32, F16, F64, I8, U8, I16, U16,
 * I32, U32, I64 and BOOL are supported.
 */
public final class SafeTensors {
    private static final String METADATA = "__metadata__";
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {}

    /** Reads every tensor of a file, in header order; {@code maxBytes} bounds each tensor's data. */
    public static Map<String, NdArray> read(Path file, long maxBytes) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(file.toString()), file + " (" + e.getMessage() + ")");
        }
        return parse(bytes, file.toString(), maxBytes);
    }

    /** Parses the bytes of a .safetensors file; {@code where} names it in messages. */
    public static Map<String, NdArray> parse(byte[] bytes, String where, long maxBytes) {
        if (bytes.length < 8) throw bad(where, "file is too short to be .safetensors (no 8-byte header length)");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = b.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > bytes.length - 8L)
            throw bad(where, "header length " + headerLen + " does not fit the file (" + bytes.length + " bytes)");
        String json = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        Object parsed;
        try {
            parsed = new Json(json).parseDocument();
        } catch (IllegalArgumentException e) {
            throw bad(where, "header is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map)) throw bad(where, "header is not a JSON object");
        int dataStart = 8 + (int) headerLen;
        long dataLen = bytes.length - dataStart;
        Map<String, NdArray> r = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) parsed).entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA)) continue;
            String at = where + ": tensor '" + name + "'";
            if (!(e.getValue() instanceof Map)) throw bad(at, "entry is not an object");
            Map<?, ?> info = (Map<?, ?>) e.getValue();
            if (!(info.get("dtype") instanceof String)) throw bad(at, "missing \"dtype\"");
            DType dt = dtypeOf((String) info.get("dtype"));
            if (dt == null) throw bad(at, "element type " + info.get("dtype") + " is not supported");
            long[] dims = longs(info.get("shape"), at, "shape");
            long[] offs = longs(info.get("data_offsets"), at, "data_offsets");
            if (offs.length != 2) throw bad(at, "\"data_offsets\" must be [begin, end]");
            long numel = 1;
            for (long d : dims) {
                if (d < 0) throw bad(at, "negative dimension");
                // why: an empty tensor passes the size limit whatever its other dimensions, but a Shape holds ints only
                if (d > Integer.MAX_VALUE) throw bad(at, "dimension " + d + " is larger than 2^31-1");
                if (d != 0 && numel > Long.MAX_VALUE / d / 8) throw bad(at, "shape is too large");
                numel *= d;
            }
            long need = numel * dt.byteSize();
            if (numel > Integer.MAX_VALUE - 8 || need > maxBytes) throw new KilnException(Code.TENSOR_TOO_LARGE, Location.file(where), at, need, maxBytes);
            if (offs[0] < 0 || offs[1] < offs[0] || offs[1] > dataLen)
                throw bad(at, "data_offsets [" + offs[0] + ", " + offs[1] + "] run past the data (" + dataLen + " bytes; truncated file?)");
            if (offs[1] - offs[0] != need) throw bad(at, "data has " + (offs[1] - offs[0]) + " bytes, the shape needs " + need);
            r.put(name, RawTensors.decode(dt, Shape.of(dims), ByteBuffer.wrap(bytes, dataStart + (int) offs[0], (int) need).slice().order(ByteOrder.LITTLE_ENDIAN)));
        }
        return r;
    }

    private static long[] longs(Object o, String at, String field) {
        if (!(o instanceof List)) throw bad(at, "missing \"" + field + "\" list");
        List<?> l = (List<?>) o;
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(l.get(i) instanceof Long)) throw bad(at, "\"" + field + "\" must hold integers");
            r[i] = (Long) l.get(i);
        }
        return r;
    }

    private static DType dtypeOf(String s) {
        switch (s) {
            case "F32": return DType.F32;
            case "F16": return DType.F16;
            case "F64": return DType.F64;
            case "I8": return DType.I8;
            case "U8": return DType.U8;
            case "I16": return DType.I16;
            case "U16": return DType.U16;
            case "I32": return DType.I32;
            case "U32": return DType.U32;
            case "I64": return DType.I64;
            case "BOOL": return DType.BOOL;
            default: return null;
        }
    }

    private static String dtypeName(DType t) {
        return t == DType.BOOL ? "BOOL" : t.shortName().toUpperCase(java.util.Locale.ROOT);
    }

    /** The bytes of a file holding {@code tensors} in sorted name order (deterministic). */
    public static byte[] toBytes(Map<String, NdArray> tensors) {
        StringBuilder h = new StringBuilder("{");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, NdArray> e : new TreeMap<>(tensors).entrySet()) {
            NdArray a = e.getValue();
            int begin = data.size();
            data.writeBytes(RawTensors.encodeLittleEndian(a));
            if (h.length() > 1) h.append(',');
            h.append(Json.quote(e.getKey())).append(":{\"dtype\":\"").append(dtypeName(a.dtype())).append("\",\"shape\":[");
            int[] dims = a.shape().dims();
            for (int i = 0; i < dims.length; i++) h.append(i > 0 ? "," : "").append(dims[i]);
            h.append("],\"data_offsets\":[").append(begin).append(',').append(data.size()).append("]}");
        }
        h.append('}');
        while ((8 + h.length()) % 8 != 0) h.append(' ');
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header).put(data.toByteArray());
        return out.array();
    }

    /** Writes {@link #toBytes} to a file. */
    public static void write(Path file, Map<String, NdArray> tensors) {
        try {
            Files.write(file, toBytes(tensors));
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(file.toString()), "cannot write " + file + ": " + e.getMessage());
        }
    }

    private static KilnException bad(String where, String what) {
        return new KilnException(Code.BAD_ARCHIVE, Location.NONE, where + ": " + what);
    }

    /** A minimal JSON reader: objects (ordered maps), arrays, strings, integers (Long), other numbers (Double), booleans, null. */
    private static final class Json {
        private final String s;
        private int i;

        Json(String s) { this.s = s; }

        Object parseDocument() {
            Object v = value();
            ws();
            if (i != s.length()) throw error("unexpected text after the value");
            return v;
        }

        private IllegalArgumentException error(String what) { return new IllegalArgumentException(what + " at offset " + i); }

        private void ws() { while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) i++; }

        private char peek() {
            if (i >= s.length()) throw error("unexpected end");
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "'");
            i++;
        }

        private Object value() {
            ws();
            char c = peek();
            if (c == '{') return object();
            if (c == '[') return array();
            if (c == '"') return string();
            if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
            if (s.startsWith("null", i)) { i += 4; return null; }
            return number();
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            expect('{');
            ws();
            if (peek() == '}') { i++; return m; }
            while (true) {
                ws();
                String k = string();
                ws();
                expect(':');
                if (m.containsKey(k)) throw error("key \"" + k + "\" appears twice");
                m.put(k, value());
                ws();
                if (peek() == ',') { i++; continue; }
                expect('}');
                return m;
            }
        }

        private List<Object> array() {
            List<Object> l = new ArrayList<>();
            expect('[');
            ws();
            if (peek() == ']') { i++; return l; }
            while (true) {
                l.add(value());
                ws();
                if (peek() == ',') { i++; continue; }
                expect(']');
                return l;
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = peek();
                i++;
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                char e = peek();
                i++;
                switch (e) {
                    case 'n': b.append('\n'); break;
                    case 't': b.append('\t'); break;
                    case 'r': b.append('\r'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u':
                        if (i + 4 > s.length()) throw error("truncated \\u escape");
                        try {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("bad \\u escape");
                        }
                        i += 4;
                        break;
                    default: b.append(e);
                }
            }
        }

        private Object number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            String t = s.substring(start, i);
            if (t.isEmpty()) throw error("unexpected character '" + s.charAt(start) + "'");
            try {
                if (t.matches("-?\\d+")) return Long.parseLong(t);
                return Double.parseDouble(t);
            } catch (NumberFormatException x) {
                throw error("bad number '" + t + "'");
            }
        }

        static String quote(String k) {
            StringBuilder b = new StringBuilder("\"");
            for (char c : k.toCharArray()) {
                if (c == '"' || c == '\\') b.append('\\').append(c);
                else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
            return b.append('"').toString();
        }
    }
}
