package dev.magi.gateway.responses;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@code file_search} tool found, before the model answered: the query, and the passages the model
 * was given, best first. Becomes the response's {@code file_search_call} item, and the citations of its
 * message.
 *
 * @param query what was searched for (the user's last message)
 * @param passages what was found, best first
 * @param includeResults whether the item lists the passages ({@code include: ["file_search_call.results"]})
 */
public record FileSearchResults(String query, List<Passage> passages, boolean includeResults) {

  /**
   * One passage.
   *
   * @param fileId the file (or document) it comes from
   * @param filename the file's name (the document's id when it is no uploaded file)
   * @param score its score in the search
   * @param text the passage
   * @param attributes its attributes
   */
  public record Passage(String fileId, String filename, double score, String text, Map<String, Object> attributes) {
  }

  /** Copies the list. */
  public FileSearchResults {
    passages = List.copyOf(passages);
  }

  /** The {@code file_search_call} output item, with {@code status}. */
  ObjectNode item(String id, String status) {
    ObjectNode item = Json.object().put("id", id).put("type", "file_search_call").put("status", status);
    item.putArray("queries").add(query);
    if (includeResults && status.equals("completed")) {
      ArrayNode results = item.putArray("results");
      for (Passage passage : passages) {
        ObjectNode result = results.addObject();
        result.set("attributes", Json.MAPPER.valueToTree(passage.attributes()));
        result.put("file_id", passage.fileId()).put("filename", passage.filename()).put("score", passage.score())
            .put("text", passage.text());
      }
    } else {
      item.putNull("results");
    }
    return item;
  }

  /** One {@code file_citation} a source file, in the order first found, at {@code index} of the text. */
  ArrayNode citations(int index) {
    Map<String, String> files = new LinkedHashMap<>();
    passages.forEach(passage -> files.putIfAbsent(passage.fileId(), passage.filename()));
    ArrayNode citations = Json.array();
    files.forEach((file, name) -> citations.addObject().put("type", "file_citation").put("file_id", file)
        .put("filename", name).put("index", index));
    return citations;
  }
}
