package dev.magi.cluster;

import java.util.List;

/**
 * The cluster as this node last saw it.
 *
 * @param nodes every node whose record was alive at the last read, this one included, by node id
 * @param redisAvailable whether the last heartbeat reached Redis
 * @param lastSeenMillis when Redis last answered (epoch milliseconds), 0 if never
 */
public record ClusterView(List<NodeRecord> nodes, boolean redisAvailable, long lastSeenMillis) {

  /** Nobody yet. */
  public static final ClusterView EMPTY = new ClusterView(List.of(), false, 0);

  /** Copies the list. */
  public ClusterView {
    nodes = List.copyOf(nodes);
  }
}
