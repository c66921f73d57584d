package dev.magi.gateway;

import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.api.ApiException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The keys accepted from clients: {@code auth.api_keys}, and {@code auth.keys}, which have a name, the
 * models they may use and their limits. A key is accepted as {@code Authorization: Bearer <key>} or
 * {@code X-Api-Key: <key>}. Keys are compared as SHA-256 digests with a constant-time comparison,
 * so neither timing nor length tells an attacker how close a guess was.
 */
final class ApiKeys {

  /**
   * This process's own key, for the requests it sends itself (retrieval's embeddings and reranks
   * through its own API): random at each start, never written anywhere.
   */
  static final String INTERNAL = java.util.HexFormat.of().formatHex(random32());

  private static byte[] random32() {
    byte[] bytes = new byte[32];
    new java.security.SecureRandom().nextBytes(bytes);
    return bytes;
  }

  /** Made once: Vert.x hashes a String header name on every lookup, an optimized one keeps its hash. */
  private static final CharSequence API_KEY = HttpHeaders.createOptimized("X-Api-Key");

  private final List<byte[]> digests;
  /** The keys with a name, in the order of {@code digests} after the plain ones. */
  private final List<MagiConfig.ClientKey> named;
  /** The cluster's secret, which other nodes present for the requests they forward; null when none. */
  private final byte[] clusterSecret;

  /** @param keys accepted keys; empty means every request is accepted */
  ApiKeys(List<String> keys) {
    this(keys, List.of(), java.util.Optional.empty());
  }

  /**
   * @param keys accepted keys; empty means every request is accepted
   * @param clusterSecret the cluster's secret ({@code cluster.secret}), accepted as a key too
   */
  ApiKeys(List<String> keys, List<MagiConfig.ClientKey> named, java.util.Optional<String> clusterSecret) {
    java.util.List<byte[]> all = new java.util.ArrayList<>(keys.stream().map(ApiKeys::sha256).toList());
    this.clusterSecret = clusterSecret.map(ApiKeys::sha256).orElse(null);
    this.named = List.copyOf(named);
    if (!all.isEmpty() || !named.isEmpty()) {
      if (this.clusterSecret != null) {
        all.add(this.clusterSecret);
      }
      all.add(sha256(INTERNAL));
    }
    this.digests = List.copyOf(all);
  }

  /** Whether {@code request} comes from another node of the cluster: it presents the cluster's secret. */
  boolean fromClusterPeer(HttpServerRequest request) {
    return clusterSecret != null && MessageDigest.isEqual(clusterSecret, sha256(bearer(request)));
  }

  /** Whether keys are required at all. */
  boolean required() {
    return !digests.isEmpty() || !named.isEmpty();
  }

  /**
   * Checks the credentials of one request; its headers are read only when keys are required.
   *
   * @return the named key ({@code auth.keys}) it presented, whose models and limits apply; null for
   *     any other accepted key, or when no key is required
   * @throws ApiException 401 when keys are required and none of them was presented
   */
  MagiConfig.ClientKey check(HttpServerRequest request) {
    if (!required()) {
      return null;
    }
    String presented = bearer(request);
    if (presented.isEmpty()) {
      presented = request.getHeader(API_KEY);
    }
    if (presented == null || presented.isEmpty()) {
      throw new ApiException(401, "invalid_request_error", null, "missing_api_key",
          "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.");
    }
    byte[] candidate = sha256(presented);
    boolean match = false;
    for (byte[] known : digests) {
      match |= MessageDigest.isEqual(known, candidate);
    }
    MagiConfig.ClientKey found = null;
    for (MagiConfig.ClientKey key : named) {
      if (MessageDigest.isEqual(key.sha256(), candidate)) {
        found = key;
      }
    }
    if (!match && found == null) {
      throw new ApiException(401, "invalid_request_error", null, "invalid_api_key", "Incorrect API key provided.");
    }
    return found;
  }

  /** The token of a request's {@code Authorization: Bearer <token>}, trimmed; empty when there is none. */
  static String bearer(HttpServerRequest request) {
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        ? authorization.substring(7).trim() : "";
  }

  /** The SHA-256 digest of a secret, the form in which secrets are compared. */
  static byte[] sha256(String key) {
    return sha256(key.getBytes(StandardCharsets.UTF_8));
  }

  /** The SHA-256 digest of {@code bytes}. */
  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
