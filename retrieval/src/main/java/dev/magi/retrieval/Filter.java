package dev.magi.retrieval;

import java.util.List;
import java.util.Map;

/**
 * OpenAI's vector-store filters over chunk attributes: comparisons ({@code eq ne gt gte lt lte}) and
 * their combinations ({@code and or}).
 */
public sealed interface Filter permits Filter.Comparison, Filter.Compound {

  /** Whether {@code attributes} pass this filter. */
  boolean test(Map<String, Object> attributes);

  /** Comparison operators. */
  enum Op { EQ, NE, GT, GTE, LT, LTE }

  /**
   * {@code attributes[key] <op> value}. A missing key passes only {@code ne}.
   *
   * @param value a String, a Number or a Boolean
   */
  record Comparison(Op op, String key, Object value) implements Filter {
    @Override
    public boolean test(Map<String, Object> attributes) {
      Object actual = attributes.get(key);
      if (actual == null) {
        return op == Op.NE;
      }
      int order;
      if (actual instanceof Number a && value instanceof Number b) {
        order = Double.compare(a.doubleValue(), b.doubleValue());
      } else if (actual instanceof String a && value instanceof String b) {
        order = a.compareTo(b);
      } else if (actual instanceof Boolean a && value instanceof Boolean b) {
        order = a.equals(b) ? 0 : 1;
        if (op != Op.EQ && op != Op.NE) {
          return false;
        }
      } else {
        return op == Op.NE;
      }
      return switch (op) {
        case EQ -> order == 0;
        case NE -> order != 0;
        case GT -> order > 0;
        case GTE -> order >= 0;
        case LT -> order < 0;
        case LTE -> order <= 0;
      };
    }
  }

  /** All ({@code and}) or any ({@code or}) of {@code filters}. */
  record Compound(boolean and, List<Filter> filters) implements Filter {
    /** Copies the list. */
    public Compound {
      filters = List.copyOf(filters);
    }

    @Override
    public boolean test(Map<String, Object> attributes) {
      return and ? filters.stream().allMatch(f -> f.test(attributes))
          : filters.stream().anyMatch(f -> f.test(attributes));
    }
  }
}
