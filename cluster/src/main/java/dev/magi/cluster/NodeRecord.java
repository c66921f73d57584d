package dev.magi.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What a node tells the cluster of itself, written to Redis at every heartbeat.
 *
 * @param nodeId the node's name
 * @param advertiseUrl how the other nodes reach it
 * @param version Magi's version on it
 * @param models the models it serves, or can load on request, with their status
 * @param freeSlots requests its backends could start now, over all its models
 * @param totalSlots requests its backends run at once, over all its models
 * @param writtenAtMillis when the record was written (epoch milliseconds)
 * @param memoryFreeBytes the memory budget it has left for models ({@link Long#MAX_VALUE} without a budget)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeRecord(@JsonProperty("node_id") String nodeId, @JsonProperty("advertise_url") String advertiseUrl,
    @JsonProperty("version") String version, @JsonProperty("models") List<ModelState> models,
    @JsonProperty("free_slots") int freeSlots, @JsonProperty("total_slots") int totalSlots,
    @JsonProperty("written_at_ms") long writtenAtMillis, @JsonProperty("memory_free_bytes") long memoryFreeBytes) {

  /** Copies the list. */
  public NodeRecord {
    models = models == null ? List.of() : List.copyOf(models);
  }

  /** A record that says nothing of memory (as an older node's). */
  public NodeRecord(String nodeId, String advertiseUrl, String version, List<ModelState> models, int freeSlots,
      int totalSlots, long writtenAtMillis) {
    this(nodeId, advertiseUrl, version, models, freeSlots, totalSlots, writtenAtMillis, 0);
  }

  /** This record, written at {@code millis}. */
  NodeRecord writtenAt(long millis) {
    return new NodeRecord(nodeId, advertiseUrl, version, models, freeSlots, totalSlots, millis, memoryFreeBytes);
  }

  /**
   * One model on a node.
   *
   * @param id the model id
   * @param status {@code loaded}, {@code loading}, {@code unloaded} (it can be loaded there) or {@code failed}
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ModelState(@JsonProperty("id") String id, @JsonProperty("status") String status) {
  }
}
