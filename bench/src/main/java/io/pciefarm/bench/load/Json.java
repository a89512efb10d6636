package io.pciefarm.bench.load;

import java.util.Collection;
import java.util.Map;

/** A minimal JSON writer for the result file: maps, collections, numbers, strings, booleans. */
final class Json {
  private Json() {}

  static String write(Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value, 0);
    return b.append('\n').toString();
  }

  private static void write(StringBuilder b, Object v, int indent) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String s) {
      string(b, s);
    } else if (v instanceof Boolean) {
      b.append(v);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        b.append("null");
      } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        b.append((long) d);
      } else {
        // nine significant digits, plain notation, no trailing zeros after the point
        b.append(new java.math.BigDecimal(d).round(new java.math.MathContext(9))
            .stripTrailingZeros().toPlainString());
      }
    } else if (v instanceof Number) {
      b.append(v);
    } else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        b.append("{}");
        return;
      }
      b.append("{\n");
      int i = 0;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        pad(b, indent + 1);
        string(b, String.valueOf(e.getKey()));
        b.append(": ");
        write(b, e.getValue(), indent + 1);
        b.append(++i < m.size() ? ",\n" : "\n");
      }
      pad(b, indent);
      b.append('}');
    } else if (v instanceof Collection<?> c) {
      boolean flat = c.stream().noneMatch(x -> x instanceof Map || x instanceof Collection);
      if (flat || c.isEmpty()) {
        b.append('[');
        int i = 0;
        for (Object x : c) {
          if (i++ > 0) {
            b.append(", ");
          }
          write(b, x, indent);
        }
        b.append(']');
        return;
      }
      b.append("[\n");
      int i = 0;
      for (Object x : c) {
        pad(b, indent + 1);
        write(b, x, indent + 1);
        b.append(++i < c.size() ? ",\n" : "\n");
      }
      pad(b, indent);
      b.append(']');
    } else {
      string(b, v.toString());
    }
  }

  private static void pad(StringBuilder b, int indent) {
    b.append("  ".repeat(indent));
  }

  private static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  /** Reads what {@link #write} wrote (any JSON): maps, lists, doubles, strings, booleans. */
  static Object parse(String text) {
    Reader r = new Reader(text);
    Object v = r.value();
    r.skip();
    if (r.i != text.length()) {
      throw new IllegalArgumentException("trailing characters at " + r.i);
    }
    return v;
  }

  private static final class Reader {
    final String s;
    int i;

    Reader(String s) {
      this.s = s;
    }

    void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    Object value() {
      skip();
      char c = s.charAt(i);
      switch (c) {
        case '{' -> {
          i++;
          Map<String, Object> m = new java.util.LinkedHashMap<>();
          skip();
          if (s.charAt(i) == '}') {
            i++;
            return m;
          }
          while (true) {
            skip();
            String k = string();
            skip();
            expect(':');
            m.put(k, value());
            skip();
            if (s.charAt(i++) == '}') {
              return m;
            }
          }
        }
        case '[' -> {
          i++;
          java.util.List<Object> l = new java.util.ArrayList<>();
          skip();
          if (s.charAt(i) == ']') {
            i++;
            return l;
          }
          while (true) {
            l.add(value());
            skip();
            if (s.charAt(i++) == ']') {
              return l;
            }
          }
        }
        case '"' -> {
          return string();
        }
        default -> {
          if (s.startsWith("true", i)) {
            i += 4;
            return Boolean.TRUE;
          }
          if (s.startsWith("false", i)) {
            i += 5;
            return Boolean.FALSE;
          }
          if (s.startsWith("null", i)) {
            i += 4;
            return null;
          }
          int start = i;
          while (i < s.length() && "+-.eE0123456789".indexOf(s.charAt(i)) >= 0) {
            i++;
          }
          return Double.parseDouble(s.substring(start, i));
        }
      }
    }

    void expect(char c) {
      if (s.charAt(i++) != c) {
        throw new IllegalArgumentException("expected '" + c + "' at " + (i - 1));
      }
    }

    String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (true) {
        char c = s.charAt(i++);
        if (c == '"') {
          return b.toString();
        }
        if (c == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> b.append('\n');
            case 'r' -> b.append('\r');
            case 't' -> b.append('\t');
            case 'u' -> {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> b.append(e);
          }
        } else {
          b.append(c);
        }
      }
    }
  }
}
