package dev.magi.gateway.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Model servers' Prometheus text, merged into families that can follow Magi's own: each sample gains
 * {@code model} and {@code instance} labels, and the samples of one family from every server come
 * together under one {@code # HELP} and one {@code # TYPE}, as the text format requires. Only the
 * families whose name starts with a given prefix ({@code llamacpp:}) are taken, so nothing a server
 * says can collide with Magi's own series; lines that are not well-formed samples are dropped.
 *
 * <p>Names are made to follow Prometheus's rules, which {@code promtool check metrics} enforces: a
 * colon (reserved for recording rules) becomes an underscore ({@code llamacpp:prompt_tokens_total}
 * is served as {@code llamacpp_prompt_tokens_total}), and a counter whose name does not end in
 * {@code _total} (llama-server's {@code n_busy_slots_per_decode}, an average) is served untyped.
 */
final class ExpositionMerge {

  /** One server's text. */
  record Source(String model, String instance, String text) {
  }

  private static final Pattern SAMPLE = Pattern.compile(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\",?)*)\\})?"
      + " ([-+]?(?:[0-9.eE+-]+|NaN|Inf))( -?[0-9]+)?");
  private static final Pattern COMMENT = Pattern.compile("# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)");
  private static final int LONGEST_LINE = 4096;

  private ExpositionMerge() {
  }

  /** The families of {@code sources} whose names start with {@code prefix}, with their added labels. */
  static String merge(List<Source> sources, String prefix) {
    Map<String, Family> families = new LinkedHashMap<>();
    for (Source source : sources) {
      String labels = "model=\"" + escape(source.model()) + "\",instance=\"" + escape(source.instance()) + "\"";
      for (String line : source.text().split("\n")) {
        if (line.length() > LONGEST_LINE) {
          continue;
        }
        Matcher comment = COMMENT.matcher(line);
        if (comment.matches()) {
          if (comment.group(2).startsWith(prefix)) {
            Family family = families.computeIfAbsent(served(comment.group(2)), Family::new);
            if (comment.group(1).equals("HELP")) {
              family.help = family.help == null ? comment.group(3) : family.help;
            } else {
              family.type = family.type == null ? comment.group(3) : family.type;
            }
          }
          continue;
        }
        Matcher sample = SAMPLE.matcher(line);
        if (!sample.matches() || !sample.group(1).startsWith(prefix)) {
          continue;
        }
        String own = sample.group(3);
        if (own != null && (own.contains("model=\"") || own.contains("instance=\""))) {
          continue;
        }
        String name = served(sample.group(1));
        Family family = families.computeIfAbsent(familyOf(name, families), Family::new);
        String allLabels = own == null || own.isEmpty() ? labels : labels + "," + own;
        family.samples.add(name + "{" + allLabels + "} " + sample.group(4));
      }
    }
    StringBuilder text = new StringBuilder();
    for (Family family : families.values()) {
      if (family.samples.isEmpty()) {
        continue;
      }
      if (family.help != null) {
        text.append("# HELP ").append(family.name).append(' ').append(family.help).append('\n');
      }
      if (family.type != null) {
        String type = family.type.equals("counter") && !family.name.endsWith("_total") ? "untyped" : family.type;
        text.append("# TYPE ").append(family.name).append(' ').append(type).append('\n');
      }
      family.samples.forEach(sample -> text.append(sample).append('\n'));
    }
    return text.toString();
  }

  /** The family a sample belongs to: its own name, or that name less a histogram's or summary's suffix. */
  private static String familyOf(String name, Map<String, Family> families) {
    for (String suffix : new String[] {"_bucket", "_count", "_sum"}) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        if (families.containsKey(base) && !families.containsKey(name)) {
          return base;
        }
      }
    }
    return name;
  }

  /** The name a series is served under: colons made underscores. */
  private static String served(String name) {
    return name.replace(':', '_');
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static final class Family {
    final String name;
    String help;
    String type;
    final List<String> samples = new ArrayList<>();

    Family(String name) {
      this.name = name;
    }
  }
}
