package dev.magi.models;

import dev.magi.servers.ServerSpec;
import java.util.List;

/**
 * What activating a profile changes: which server instances start, which keep running, which stop,
 * and what could not be planned. Stops happen only after the starts are done.
 *
 * @param profile the profile's name
 * @param start instances to start
 * @param keep instances already running with the wanted settings
 * @param stop instances to take out, drain and stop
 * @param problems models that cannot be served, with the reason
 * @param estimates the memory estimate of each local model (all its replicas), in profile order
 */
public record Plan(String profile, List<ServerSpec> start, List<String> keep, List<String> stop,
    List<Problem> problems, List<Estimate> estimates) {

  /** Copies the lists. */
  public Plan {
    start = List.copyOf(start);
    keep = List.copyOf(keep);
    stop = List.copyOf(stop);
    problems = List.copyOf(problems);
    estimates = List.copyOf(estimates);
  }

  /** The memory the profile's local servers need together. */
  public long memoryEstimate() {
    return estimates.stream().mapToLong(Estimate::bytes).sum();
  }

  /**
   * A model that cannot be served.
   *
   * @param model the name the profile gives
   * @param error why
   */
  public record Problem(String model, String error) {
  }

  /**
   * The memory one model needs.
   *
   * @param model the model id
   * @param replicas how many servers
   * @param bytes all of them together
   */
  public record Estimate(String model, int replicas, long bytes) {
  }
}
