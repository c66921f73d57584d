package dev.magi.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The record a node writes, and what the log may say of the Redis address. */
class NodeRecordTest {

  @Test
  void aRecordReadsBackAsWrittenAndIgnoresWhatLaterVersionsAdd() throws Exception {
    ObjectMapper json = new ObjectMapper();
    NodeRecord record = new NodeRecord("a", "http://10.0.0.5:8000", "0.1.0",
        List.of(new NodeRecord.ModelState("qwen", "loaded")), 3, 4, 0).writtenAt(1234);
    String text = json.writeValueAsString(record);
    assertEquals(record, json.readValue(text, NodeRecord.class));
    assertEquals(record, json.readValue(text.replace("{\"node_id\"", "{\"zone\":\"eu\",\"node_id\""),
        NodeRecord.class));
  }

  @Test
  void passwordsStayOutOfTheLog() {
    assertEquals("redis://***@redis:6379", Membership.redacted("redis://:s3cret@redis:6379"));
    assertEquals("redis://redis:6379", Membership.redacted("redis://redis:6379"));
  }
}
