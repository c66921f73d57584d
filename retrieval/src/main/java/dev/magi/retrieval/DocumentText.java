package dev.magi.retrieval;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.IOUtils;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;

/**
 * The text of an uploaded file, by its name's extension: UTF-8 text as it is ({@code .txt .md .json
 * .jsonl .csv}), the visible text of an HTML page ({@code .html .htm}, jsoup), the text of a PDF's pages
 * ({@code .pdf}, Apache PDFBox). Every file is untrusted: a PDF is read with its streams cached in a
 * temporary file rather than the heap, at most {@link #MAX_PDF_PAGES} pages, and any text is at most
 * {@code maxChars}. Whatever the bytes, the answer is the text or an {@link IllegalArgumentException}
 * whose message can be shown to the client. Blocking (PDF parsing): call it on a worker.
 */
public final class DocumentText {

  /** Names of the files whose text Magi can read. */
  public static final Pattern ACCEPTED = Pattern.compile("(?i).+\\.(txt|text|md|markdown|json|jsonl|csv|html|htm|pdf)");
  /** Most pages of a PDF read. */
  public static final int MAX_PDF_PAGES = 2000;
  private static final Pattern BLANK_LINES = Pattern.compile("\\n[ \\t\\x0B\\f\\r]*(\\n[ \\t\\x0B\\f\\r]*)+");
  private static final Pattern TRAILING_SPACE = Pattern.compile("[ \\t]+\\n");

  private DocumentText() {
  }

  /**
   * The text of {@code content}, read as its {@code filename} says.
   *
   * @param maxChars most characters of text accepted
   * @throws IllegalArgumentException when the type is not accepted, or the file cannot be read as it
   */
  public static String extract(String filename, byte[] content, int maxChars) {
    if (!ACCEPTED.matcher(filename).matches()) {
      throw new IllegalArgumentException("Only text, Markdown, JSON, CSV, HTML and PDF files are accepted (.txt, .md,"
          + " .json, .jsonl, .csv, .html, .pdf); got '" + printable(filename) + "'.");
    }
    String extension = filename.substring(filename.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    String text = switch (extension) {
      case "pdf" -> pdf(content);
      case "html", "htm" -> html(content);
      default -> utf8(content);
    };
    if (text.length() > maxChars) {
      throw new IllegalArgumentException("The file holds more than " + maxChars + " characters of text.");
    }
    return text;
  }

  private static String utf8(byte[] content) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("The file is not valid UTF-8 text.");
    }
  }

  private static String html(byte[] content) {
    return read("HTML page", () -> {
      Document page = Jsoup.parse(new ByteArrayInputStream(content), null, "");
      page.select("script, style, noscript, template, svg, head").remove();
      String title = page.title();
      String body = tidy(page.wholeText());
      return title.isBlank() || body.startsWith(title) ? body : title.strip() + "\n\n" + body;
    });
  }

  private static String pdf(byte[] content) {
    return read("PDF", () -> {
      try (PDDocument document = Loader.loadPDF(content, "", null, null, IOUtils.createTempFileOnlyStreamCache())) {
        int pages = document.getNumberOfPages();
        if (pages > MAX_PDF_PAGES) {
          throw new IllegalArgumentException("The PDF has " + pages + " pages; at most " + MAX_PDF_PAGES
              + " are read.");
        }
        PDFTextStripper stripper = new PDFTextStripper();
        stripper.setSortByPosition(true);
        return tidy(stripper.getText(document));
      } catch (org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException e) {
        throw new IllegalArgumentException("The PDF is encrypted with a password.");
      }
    });
  }

  /** Reads a document with a parser that must not take the process down. */
  @FunctionalInterface
  private interface Parser {
    String text() throws IOException;
  }

  /**
   * What {@code parser} reads from a {@code kind} of document; every way it can fail becomes an
   * {@link IllegalArgumentException} fit for a client: its own, the I/O error's message made printable,
   * or a fixed one for an unchecked error (whose message may name the library's internals) and for
   * nesting too deep for the stack.
   */
  private static String read(String kind, Parser parser) {
    try {
      return parser.text();
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (IOException e) {
      throw new IllegalArgumentException("The " + kind + " could not be read: " + reason(e));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("The " + kind + " could not be read: it is malformed.");
    } catch (StackOverflowError e) {
      throw new IllegalArgumentException("The " + kind + " is nested too deeply to be read.");
    }
  }

  /** Lines without trailing spaces, and no more than one blank line in a row. */
  private static String tidy(String text) {
    return BLANK_LINES.matcher(TRAILING_SPACE.matcher(text.replace("\r\n", "\n")).replaceAll("\n")).replaceAll("\n\n")
        .strip();
  }

  private static String reason(Throwable failure) {
    String message = failure.getMessage();
    return message == null || message.isBlank() ? "it is malformed." : printable(message);
  }

  private static String printable(String text) {
    String clean = text.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() <= 200 ? clean : clean.substring(0, 200) + "...";
  }
}
