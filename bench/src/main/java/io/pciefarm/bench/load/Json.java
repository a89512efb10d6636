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
}
