package dev.magi.gateway.config;

import dev.magi.router.Endpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a reloaded configuration changes, in the file's own key names: what takes effect while Magi
 * runs, and what needs a restart (a pure function of two configurations).
 *
 * <p>Taking effect at once: {@code auth}, {@code limits}, {@code timeouts} (but {@code connect}),
 * {@code health}, {@code ollama}, {@code backends} (and their aliases), {@code router}, {@code profiles},
 * {@code admin}, {@code config.watch}, {@code metrics.token} and {@code metrics.allowed_from}, and {@code models.load_on_request}, {@code models.memory_budget},
 * {@code models.max_swap_wait} and {@code pinned}. Everything else (the listener, the models directory and how servers are
 * launched, retrieval) is read at startup only.
 *
 * @param applied keys whose new values are in force once the reload is done, with details for backends
 * @param restartRequired keys whose new values take effect at the next start only
 */
public record ConfigChanges(List<String> applied, List<String> restartRequired) {

  /** Copies the lists. */
  public ConfigChanges {
    applied = List.copyOf(applied);
    restartRequired = List.copyOf(restartRequired);
  }

  /** Whether nothing changed. */
  public boolean none() {
    return applied.isEmpty() && restartRequired.isEmpty();
  }

  /** One line for the log. */
  public String describe() {
    if (none()) {
      return "nothing changed";
    }
    String text = applied.isEmpty() ? "" : "applied: " + String.join("; ", applied);
    if (!restartRequired.isEmpty()) {
      text += (text.isEmpty() ? "" : "; ") + "needs a restart: " + String.join(", ", restartRequired);
    }
    return text;
  }

  /** The changes from {@code before} to {@code after}. */
  public static ConfigChanges between(MagiConfig before, MagiConfig after) {
    List<String> applied = new ArrayList<>();
    List<String> restart = new ArrayList<>();
    if (!before.server().equals(after.server())) {
      restart.add("server");
    }
    if (!before.apiKeys().equals(after.apiKeys())) {
      applied.add("auth.api_keys");
    }
    if (!sameKeys(before.clientKeys(), after.clientKeys()) || before.limitsFailOpen() != after.limitsFailOpen()) {
      applied.add("auth.keys");
    }
    if (!before.limits().equals(after.limits())) {
      applied.add("limits");
    }
    MagiConfig.Timeouts oldTimeouts = before.timeouts();
    MagiConfig.Timeouts newTimeouts = after.timeouts();
    if (!oldTimeouts.connect().equals(newTimeouts.connect())) {
      restart.add("timeouts.connect");
    }
    if (!new MagiConfig.Timeouts(newTimeouts.connect(), oldTimeouts.firstToken(), oldTimeouts.betweenChunks(),
        oldTimeouts.nonStreaming(), oldTimeouts.commitDelay(), oldTimeouts.pingInterval()).equals(newTimeouts)) {
      applied.add("timeouts");
    }
    if (!before.health().equals(after.health())) {
      applied.add("health");
    }
    if (!before.ollamaRefresh().equals(after.ollamaRefresh())) {
      applied.add("ollama");
    }
    backends(before.backends(), after.backends()).ifPresent(applied::add);
    models(before.models(), after.models(), applied, restart);
    if (!before.admin().equals(after.admin())) {
      applied.add("admin");
    }
    if (!before.routing().equals(after.routing())) {
      applied.add("router");
    }
    if (!before.profiles().equals(after.profiles())) {
      applied.add("profiles");
    }
    if (!before.retrieval().equals(after.retrieval())) {
      restart.add("retrieval");
    }
    MagiConfig.Metrics oldMetrics = before.metrics();
    MagiConfig.Metrics newMetrics = after.metrics();
    if (oldMetrics.enabled() != newMetrics.enabled() || !oldMetrics.path().equals(newMetrics.path())) {
      restart.add("metrics");
    } else if (!oldMetrics.equals(newMetrics)) {
      applied.add("metrics");
    }
    if (!before.log().equals(after.log())) {
      restart.add("log");
    }
    if (!before.tracing().equals(after.tracing())) {
      restart.add("tracing");
    }
    if (!before.cluster().equals(after.cluster())) {
      restart.add("cluster");
    }
    if (!before.responses().equals(after.responses())) {
      restart.add("responses");
    }
    if (!before.ollamaApi().equals(after.ollamaApi())) {
      restart.add("ollama_api");
    }
    if (!before.console().recentRequests().equals(after.console().recentRequests())) {
      applied.add("console.recent_requests");
    }
    if (!before.console().captureBodies().equals(after.console().captureBodies())) {
      applied.add("console.capture_bodies");
    }
    if (!before.console().enabled().equals(after.console().enabled())) {
      restart.add("console.enabled");
    }
    if (before.watchFile() != after.watchFile()) {
      applied.add("config.watch");
    }
    return new ConfigChanges(applied, restart);
  }

  private static java.util.Optional<String> backends(List<BackendSettings> before, List<BackendSettings> after) {
    if (before.equals(after)) {
      return java.util.Optional.empty();
    }
    Set<String> oldNames = new LinkedHashSet<>();
    before.forEach(b -> oldNames.add(name(b)));
    Set<String> newNames = new LinkedHashSet<>();
    after.forEach(b -> newNames.add(name(b)));
    List<String> added = newNames.stream().filter(n -> !oldNames.contains(n)).toList();
    List<String> removed = oldNames.stream().filter(n -> !newNames.contains(n)).toList();
    List<String> parts = new ArrayList<>();
    if (!added.isEmpty()) {
      parts.add("added " + String.join(", ", added));
    }
    if (!removed.isEmpty()) {
      parts.add("removed " + String.join(", ", removed));
    }
    Map<String, List<BackendSettings>> oldByName = new HashMap<>();
    before.forEach(b -> oldByName.computeIfAbsent(name(b), n -> new ArrayList<>()).add(b));
    Map<String, List<BackendSettings>> newByName = new HashMap<>();
    after.forEach(b -> newByName.computeIfAbsent(name(b), n -> new ArrayList<>()).add(b));
    List<String> changed = newNames.stream()
        .filter(n -> oldNames.contains(n) && !oldByName.get(n).equals(newByName.get(n))).toList();
    if (!changed.isEmpty()) {
      parts.add("changed " + String.join(", ", changed));
    }
    if (parts.isEmpty()) {
      parts.add("reordered");
    }
    return java.util.Optional.of("backends (" + String.join("; ", parts) + ")");
  }

  /** A backend's model, or for an Ollama endpoint that serves all its models, its address. */
  private static String name(BackendSettings backend) {
    return backend.model().orElse(backend.endpoint().name());
  }

  private static void models(MagiConfig.Models before, MagiConfig.Models after, List<String> applied,
      List<String> restart) {
    if (before.loadOnRequest() != after.loadOnRequest()) {
      applied.add("models.load_on_request");
    }
    if (before.memoryBudget() != after.memoryBudget()) {
      applied.add("models.memory_budget");
    }
    if (!before.pinned().equals(after.pinned())) {
      applied.add("models.settings.*.pinned");
    }
    if (!before.maxSwapWait().equals(after.maxSwapWait())) {
      applied.add("models.max_swap_wait");
    }
    MagiConfig.Models sameLive = new MagiConfig.Models(after.dir(), after.registryFile(), after.llamaServer(),
        after.portRangeStart(), after.portRangeEnd(), after.maxStartupTime(), after.concurrentStarts(),
        after.drainTimeout(), after.stopGrace(), after.logDir(), after.dataDir(), after.defaults(), after.settings(),
        before.loadOnRequest(), before.memoryBudget(), before.pinned(), after.preload(), before.maxSwapWait());
    if (!sameLive.equals(before)) {
      restart.add("models (directory, ports, launch settings, preload)");
    }
  }

  /**
   * {@code after} with the endpoint objects of {@code before} wherever a backend names the same
   * endpoint (type, address and key), so that an unchanged backend keeps its health, its ejection
   * state and its requests in flight across the reload.
   */
  public static MagiConfig keepEndpoints(MagiConfig before, MagiConfig after) {
    Map<String, Endpoint> known = new HashMap<>();
    before.backends().forEach(b -> known.putIfAbsent(key(b.endpoint()), b.endpoint()));
    List<BackendSettings> backends = new ArrayList<>();
    for (BackendSettings backend : after.backends()) {
      Endpoint same = known.getOrDefault(key(backend.endpoint()), backend.endpoint());
      backends.add(new BackendSettings(backend.model(), same, backend.aliases(), backend.upstreamModel(),
          backend.slots()));
    }
    return new MagiConfig(after.server(), after.apiKeys(), after.clientKeys(), after.limitsFailOpen(), after.limits(), after.timeouts(), after.health(),
        after.ollamaRefresh(), backends, after.models(), after.admin(), after.routing(), after.profiles(),
        after.startupProfile(), after.retrieval(), after.watchFile(), after.metrics(), after.log(),
        after.tracing(), after.cluster(), after.responses(), after.ollamaApi(), after.console());
  }

  /** Whether two lists of client keys are the same (a record of an array compares the array's identity). */
  private static boolean sameKeys(List<MagiConfig.ClientKey> a, List<MagiConfig.ClientKey> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      MagiConfig.ClientKey x = a.get(i);
      MagiConfig.ClientKey y = b.get(i);
      if (!x.name().equals(y.name()) || !java.util.Arrays.equals(x.sha256(), y.sha256()) || !x.models().equals(y.models())
          || x.rpm() != y.rpm() || x.tpm() != y.tpm()) {
        return false;
      }
    }
    return true;
  }

  private static String key(Endpoint endpoint) {
    return endpoint.type() + "|" + endpoint.name() + "|" + Objects.toString(endpoint.apiKey().orElse(null));
  }
}
