package dev.magi.cluster;

import java.time.Duration;

/**
 * How this node joins the cluster.
 *
 * @param redisUrl the Redis the nodes share ({@code redis://host:6379}, {@code rediss://} for TLS,
 *     with a password as {@code redis://:password@host})
 * @param nodeId this node's name, unique in the cluster
 * @param advertiseUrl how the other nodes reach this one ({@code http://10.0.0.5:8000})
 * @param heartbeat how often this node writes its record and reads the others'
 * @param ttl how long a record lives without a heartbeat: a node that stops writing is gone after it
 */
public record ClusterSettings(String redisUrl, String nodeId, String advertiseUrl, Duration heartbeat, Duration ttl) {
}
