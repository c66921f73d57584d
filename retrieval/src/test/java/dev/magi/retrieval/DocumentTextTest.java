package dev.magi.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;

/** The text of uploads: PDF pages, an HTML page's visible text, UTF-8 as it is; anything else refused clearly. */
class DocumentTextTest {

  /** A real PDF of {@code pages}, each saying its number and {@code words}. */
  static byte[] pdf(int pages, String words) throws Exception {
    try (PDDocument document = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      for (int i = 1; i <= pages; i++) {
        PDPage page = new PDPage();
        document.addPage(page);
        try (PDPageContentStream text = new PDPageContentStream(document, page)) {
          text.beginText();
          text.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
          text.newLineAtOffset(72, 700);
          text.showText("Page " + i + ": " + words);
          text.endText();
        }
      }
      document.save(out);
      return out.toByteArray();
    }
  }

  @Test
  void aPdfsPagesAreRead() throws Exception {
    String text = DocumentText.extract("manual.PDF", pdf(2, "error E1234 means the pump ran dry"), 100_000);

    assertTrue(text.contains("Page 1: error E1234 means the pump ran dry"), text);
    assertTrue(text.contains("Page 2:"), text);
  }

  @Test
  void anHtmlPageGivesItsVisibleText() {
    byte[] page = ("<html><head><title>Shipping</title><style>p{}</style><script>var secret=1</script></head>"
        + "<body><h1>Shipping</h1><p>Parcels ship from <b>Lyon</b>.</p><p>Every weekday.</p></body></html>")
        .getBytes(StandardCharsets.UTF_8);

    String text = DocumentText.extract("ship.html", page, 100_000);

    assertTrue(text.contains("Parcels ship from Lyon."), text);
    assertTrue(!text.contains("secret") && !text.contains("p{}"), "no script or style: " + text);
  }

  @Test
  void badFilesAreRefusedWithAReasonAClientCanRead() throws Exception {
    IllegalArgumentException broken = assertThrows(IllegalArgumentException.class,
        () -> DocumentText.extract("x.pdf", "%PDF-1.7 not really".getBytes(StandardCharsets.UTF_8), 1000));
    assertTrue(broken.getMessage().startsWith("The PDF could not be read"), broken.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DocumentText.extract("x.exe", new byte[] {1}, 1000));
    assertThrows(IllegalArgumentException.class, () -> DocumentText.extract("x.txt", new byte[] {(byte) 0xff}, 1000));
    IllegalArgumentException long_ = assertThrows(IllegalArgumentException.class,
        () -> DocumentText.extract("x.txt", "a".repeat(2000).getBytes(StandardCharsets.UTF_8), 1000));
    assertTrue(long_.getMessage().contains("more than 1000 characters"));
    assertEquals("plain", DocumentText.extract("x.md", "plain".getBytes(StandardCharsets.UTF_8), 1000));
  }
}
