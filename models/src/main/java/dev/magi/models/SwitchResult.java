package dev.magi.models;

import java.util.List;

/**
 * What an activation did.
 *
 * @param profile the profile now active
 * @param started instances started
 * @param stopped instances stopped
 * @param kept instances that kept running, untouched
 * @param failed models or instances that could not be started, with the reason
 */
public record SwitchResult(String profile, List<String> started, List<String> stopped, List<String> kept,
    List<Plan.Problem> failed) {

  /** Copies the lists. */
  public SwitchResult {
    started = List.copyOf(started);
    stopped = List.copyOf(stopped);
    kept = List.copyOf(kept);
    failed = List.copyOf(failed);
  }
}
