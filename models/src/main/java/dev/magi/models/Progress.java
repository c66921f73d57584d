package dev.magi.models;

import java.util.ArrayList;
import java.util.List;

/** How far a profile switch has come; updated as servers come up. Thread-safe. */
public final class Progress {

  private final String target;
  private final List<String> pending = new ArrayList<>();
  private final List<String> ready = new ArrayList<>();
  private final List<Plan.Problem> failed = new ArrayList<>();

  Progress(String target) {
    this.target = target;
  }

  /** The profile being activated. */
  public String target() {
    return target;
  }

  synchronized void pending(String instance) {
    pending.add(instance);
  }

  synchronized void ready(String instance) {
    pending.remove(instance);
    ready.add(instance);
  }

  synchronized void failed(String instance, String error) {
    pending.remove(instance);
    failed.add(new Plan.Problem(instance, error));
  }

  /** Instances still loading. */
  public synchronized List<String> pending() {
    return List.copyOf(pending);
  }

  /** Instances that are up. */
  public synchronized List<String> ready() {
    return List.copyOf(ready);
  }

  /** Instances or models that failed. */
  public synchronized List<Plan.Problem> failed() {
    return List.copyOf(failed);
  }
}
