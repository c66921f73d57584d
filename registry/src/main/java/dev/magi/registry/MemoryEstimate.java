package dev.magi.registry;

/**
 * Estimates the memory a llama-server needs for a model:
 *
 * <pre>
 *   weights  = the file's size (all parts)
 *   kv cache = 2 (K and V) × block_count × total context × embedding_length × head_count_kv / head_count
 *              × 2 bytes (f16 cache)
 *   overhead = 64 MiB (compute buffers, runtime)
 *   estimate = weights + kv cache + overhead
 * </pre>
 *
 * where total context is {@code context × parallel} from the launch settings. It errs high for
 * quantised KV caches and ignores GPU/CPU placement: it is a budget, not a measurement.
 */
public final class MemoryEstimate {

  /** Fixed allowance for compute buffers and the runtime. */
  public static final long OVERHEAD_BYTES = 64L << 20;

  private MemoryEstimate() {
  }

  /**
   * @param sizeBytes the model's bytes on disk
   * @param metadata its header, or null when unknown (then only weights and overhead count)
   * @return the estimate in bytes
   */
  public static long bytes(long sizeBytes, GgufMetadata metadata, LaunchSettings launch) {
    long kv = 0;
    if (metadata != null && metadata.headCount() > 0) {
      double kvWidth = (double) metadata.embeddingLength() * metadata.headCountKv() / metadata.headCount();
      kv = (long) (2.0 * metadata.blockCount() * launch.totalContext() * kvWidth * 2.0);
    }
    return sizeBytes + kv + OVERHEAD_BYTES;
  }
}
