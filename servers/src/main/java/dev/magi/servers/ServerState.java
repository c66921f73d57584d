package dev.magi.servers;

import java.util.Locale;

/** Where a model server is in its life: {@code stopped → starting → ready → stopping}, or {@code failed}. */
public enum ServerState {
  /** No process. */
  STOPPED,
  /** A process was spawned and is loading the model; requests wait for it. */
  STARTING,
  /** Healthy and in the router's pool. */
  READY,
  /** Out of the pool, draining its requests, then terminated. */
  STOPPING,
  /** Could not start, or crashed too often; stays so until an admin starts it again. */
  FAILED;

  /** Lower-case name used in JSON. */
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }
}
