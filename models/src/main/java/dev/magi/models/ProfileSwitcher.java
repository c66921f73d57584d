package dev.magi.models;

import dev.magi.registry.Catalog;
import dev.magi.servers.ServerInfo;
import dev.magi.servers.ServerSpec;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Makes a profile active while requests keep flowing:
 * <ol>
 *   <li>plan the difference ({@link Planner}); refuse, before touching anything, a plan whose local
 *       servers would not fit the profile's memory budget;</li>
 *   <li>start the new instances, in parallel (the supervisor bounds how many load at once); each
 *       joins its pool as soon as it is ready;</li>
 *   <li>only then take the leaving instances out of their pools, drain and stop them. If a model's new
 *       instances failed, its old ones are left serving.</li>
 * </ol>
 * One activation at a time: a second one while a switch is under way is refused with 409
 * ({@code switch_in_progress}) rather than queued, so a script learns at once that it raced another.
 */
public final class ProfileSwitcher {

  private static final Logger LOG = Logger.getLogger(ProfileSwitcher.class.getName());

  /** What the switcher does to the world; the gateway wires it to the supervisor. */
  public interface Effects {
    /** Starts one instance; completes when it is ready (or failed). */
    Future<ServerInfo> start(ServerSpec spec);

    /** Takes one instance out of its pool, drains and stops it. */
    Future<ServerInfo> stop(String instance);

    /** Every server instance the supervisor knows. */
    List<ServerInfo> servers();

    /** Remembers the active profile across restarts. */
    Future<Void> saveActive(String profile);
  }

  private volatile Map<String, Profile> profiles;
  private final Supplier<Catalog> catalog;
  private final Effects effects;
  private final AtomicReference<Progress> switching = new AtomicReference<>();
  private volatile String active;

  /** @param profiles the configured profiles, by name */
  public ProfileSwitcher(Map<String, Profile> profiles, Supplier<Catalog> catalog, Effects effects) {
    this.profiles = Map.copyOf(profiles);
    this.catalog = catalog;
    this.effects = effects;
  }

  /** The configured profiles, by name. */
  public Map<String, Profile> profiles() {
    return profiles;
  }

  /**
   * Replaces the configured profiles (a configuration reloaded while Magi runs). The active profile
   * stays active by name; a switch under way finishes with the profile it started with. Nothing is
   * started or stopped: the new definition applies at the next activation.
   */
  public void profiles(Map<String, Profile> profiles) {
    this.profiles = Map.copyOf(profiles);
  }

  /** The active profile, if one was activated. */
  public Optional<Profile> active() {
    String name = active;
    return name == null ? Optional.empty() : Optional.ofNullable(profiles.get(name));
  }

  /** The switch under way, if any. */
  public Optional<Progress> switching() {
    return Optional.ofNullable(switching.get());
  }

  /** What activating {@code name} now would do (for estimates); empty for an unknown profile. */
  public Optional<Plan> plan(String name) {
    Profile profile = profiles.get(name);
    return profile == null ? Optional.empty()
        : Optional.of(Planner.plan(profile, catalog.get(), effects.servers()));
  }

  /**
   * Activates the profile called {@code name}.
   *
   * @return what changed; a failed future with a {@link ProfileException} when the profile is unknown,
   *     does not fit its memory budget, or another switch is under way
   */
  public Future<SwitchResult> activate(String name) {
    Profile profile = profiles.get(name);
    if (profile == null) {
      return Future.failedFuture(new ProfileException(ProfileException.Reason.PROFILE_NOT_FOUND, "No profile '" + name
          + "'; configured: " + String.join(", ", new java.util.TreeSet<>(profiles.keySet())) + "."));
    }
    Progress progress = new Progress(name);
    if (!switching.compareAndSet(null, progress)) {
      return Future.failedFuture(new ProfileException(ProfileException.Reason.SWITCH_IN_PROGRESS, "Profile '"
          + switching.get().target() + "' is being activated; activate '" + name + "' when it is done."));
    }
    Plan plan = Planner.plan(profile, catalog.get(), effects.servers());
    if (profile.memoryBudget() > 0 && plan.memoryEstimate() > profile.memoryBudget()) {
      switching.set(null);
      StringBuilder message = new StringBuilder("Profile '" + name + "' needs about " + mib(plan.memoryEstimate())
          + " MiB, more than its memory budget of " + mib(profile.memoryBudget()) + " MiB:");
      plan.estimates().forEach(e -> message.append(' ').append(e.model()).append(" ×").append(e.replicas())
          .append(' ').append(mib(e.bytes())).append(" MiB;"));
      return Future.failedFuture(new ProfileException(ProfileException.Reason.MEMORY_BUDGET_EXCEEDED,
          message.substring(0, message.length() - 1) + "."));
    }
    LOG.info(() -> "activating profile " + name + ": start " + plan.start().size() + ", keep " + plan.keep().size()
        + ", stop " + plan.stop().size());
    plan.problems().forEach(problem -> progress.failed(problem.model(), problem.error()));
    List<Future<ServerInfo>> starts = new ArrayList<>();
    for (ServerSpec spec : plan.start()) {
      progress.pending(spec.instance());
      starts.add(effects.start(spec)
          .onSuccess(ready -> progress.ready(spec.instance()))
          .onFailure(failure -> progress.failed(spec.instance(), String.valueOf(failure.getMessage()))));
    }
    return Future.join(starts)
        .transform(ignored -> {
          Set<String> failedModels = new HashSet<>();
          List<String> started = new ArrayList<>();
          for (int i = 0; i < starts.size(); i++) {
            if (starts.get(i).failed()) {
              failedModels.add(plan.start().get(i).model().id());
            } else {
              started.add(plan.start().get(i).instance());
            }
          }
          // A model whose new instances failed keeps its old ones serving.
          List<String> leaving = effects.servers().stream()
              .filter(s -> plan.stop().contains(s.name()) && !failedModels.contains(s.model()))
              .map(ServerInfo::name).toList();
          List<Future<ServerInfo>> stops = new ArrayList<>();
          leaving.forEach(instance -> stops.add(effects.stop(instance)));
          return Future.join(stops).transform(done -> Future.succeededFuture(List.of(started, leaving)));
        })
        .compose(changes -> {
          active = name;
          return effects.saveActive(name).recover(failure -> {
            LOG.warning(() -> "cannot remember the active profile: " + failure.getMessage());
            return Future.succeededFuture();
          }).map(saved -> new SwitchResult(name, changes.get(0), changes.get(1), plan.keep(), progress.failed()));
        })
        .eventually(() -> {
          switching.set(null);
          return Future.succeededFuture();
        });
  }

  private static long mib(long bytes) {
    return Math.round(bytes / 1048576.0);
  }
}
