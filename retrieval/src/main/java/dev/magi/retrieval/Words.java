package dev.magi.retrieval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The words of a text for keyword search where no search engine does it: runs of letters and digits, lower case. */
final class Words {

  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");
  /** Most words of one query that count. */
  static final int MAX_QUERY_WORDS = 64;

  private Words() {
  }

  /** The distinct words of a query that count: at most {@link #MAX_QUERY_WORDS}, in their order. */
  static List<String> ofQuery(String text) {
    return of(text).stream().distinct().limit(MAX_QUERY_WORDS).toList();
  }

  static List<String> of(String text) {
    List<String> words = new ArrayList<>();
    Matcher matcher = WORD.matcher(text);
    while (matcher.find()) {
      words.add(matcher.group().toLowerCase(Locale.ROOT));
    }
    return words;
  }
}
