package dev.magi.models;

/**
 * One local model as it occupies memory now, for the decisions of {@link Eviction}.
 *
 * @param model the model id
 * @param bytes its memory estimate, all its running and loading servers together
 * @param busy requests in flight or waiting for it; a loading model counts as busy
 * @param lastUsedNanos when a request last asked for it, on the lifecycle's clock
 * @param pinned never unloaded to make room
 */
public record Resident(String model, long bytes, int busy, long lastUsedNanos, boolean pinned) {
}
