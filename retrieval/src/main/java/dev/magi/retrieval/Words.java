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

  /**
   * English words too common to say what a query is about ("how do I ...", "what is the ..."): left out
   * of a query's words, else a question's grammar ranks every chunk that shares it. Chunks keep them.
   */
  static final java.util.Set<String> STOP = java.util.Set.of("a", "about", "an", "and", "are", "as", "at", "be",
      "by", "can", "could", "did", "do", "does", "for", "from", "get", "gets", "had", "has", "have", "how", "i", "if",
      "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "should", "so", "that", "the", "their",
      "them", "then", "there", "these", "they", "this", "to", "up", "us", "was", "we", "were", "what", "when",
      "where", "which", "who", "why", "will", "with", "would", "you", "your");

  /**
   * The distinct words of a query that count: at most {@link #MAX_QUERY_WORDS}, in their order, without
   * {@link #STOP stop words} unless the query has nothing else.
   */
  static List<String> ofQuery(String text) {
    return ofQuery(of(text));
  }

  /** {@link #ofQuery(String)} of words already split (and lower case). */
  static List<String> ofQuery(List<String> words) {
    List<String> distinct = words.stream().distinct().toList();
    List<String> meaningful = distinct.stream().filter(word -> !STOP.contains(word)).toList();
    return (meaningful.isEmpty() ? distinct : meaningful).stream().limit(MAX_QUERY_WORDS).toList();
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
