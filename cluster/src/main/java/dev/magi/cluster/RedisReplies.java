package dev.magi.cluster;

import io.vertx.redis.client.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Redis replies as Java values. */
final class RedisReplies {

  private RedisReplies() {
  }

  /**
   * A hash's fields and values: from a map (a RESP3 {@code HGETALL}) or a flat list of field, value,
   * field, value (RESP2, or a table a Lua script returns); empty for null.
   */
  static Map<String, String> hash(Response hash) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (hash == null) {
      return fields;
    }
    Set<String> keys;
    try {
      keys = hash.getKeys();
    } catch (RuntimeException notAMap) {
      keys = Set.of();
    }
    if (!keys.isEmpty()) {
      keys.forEach(key -> fields.put(key, hash.get(key).toString()));
    } else {
      for (int i = 0; i + 1 < hash.size(); i += 2) {
        fields.put(hash.get(i).toString(), hash.get(i + 1).toString());
      }
    }
    return fields;
  }
}
