package dev.magi.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkerTest {

  @Test
  void shortTextIsOneChunkAndBlankTextNone() {
    assertEquals(List.of("hello world"), Chunker.split("  hello world \n", 800, 400));
    assertEquals(List.of(), Chunker.split(" \n\t ", 800, 400));
  }

  @Test
  void longTextIsCutIntoOverlappingChunksOfWholeWords() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      text.append("word").append(i).append(' ');
    }

    List<String> chunks = Chunker.split(text.toString(), 100, 20);

    assertTrue(chunks.size() > 10, "chunks: " + chunks.size());
    for (String chunk : chunks) {
      assertTrue(chunk.length() <= 400, "at most 100 tokens of 4 characters");
      assertTrue(chunk.startsWith("word"), "whole words: " + chunk.substring(0, 10));
    }
    String last = chunks.get(0).substring(chunks.get(0).lastIndexOf(' ') + 1);
    assertTrue(chunks.get(1).contains(last), "neighbours overlap");
    assertTrue(chunks.get(chunks.size() - 1).endsWith("word999"));
  }
}
