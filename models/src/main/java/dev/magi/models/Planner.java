package dev.magi.models;

import dev.magi.registry.Catalog;
import dev.magi.registry.LaunchSettings;
import dev.magi.registry.ModelEntry;
import dev.magi.servers.ServerInfo;
import dev.magi.servers.ServerSpec;
import dev.magi.servers.ServerState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides, without doing anything, how to get from the servers running now to the ones a profile
 * wants (a pure function over a snapshot; see STYLE.md "decide in pure code").
 *
 * <ul>
 *   <li>An instance running the wanted model with the wanted launch settings is kept, up to the
 *       number of replicas wanted.</li>
 *   <li>Missing replicas start under instance names not in use, so a replacement (for new settings)
 *       can load while the instance it replaces still serves.</li>
 *   <li>Every other running instance stops: models the profile does not have, extra replicas, and
 *       instances with other settings. On-demand models are started by requests, not here; one that
 *       already runs with the wanted settings is kept.</li>
 * </ul>
 */
public final class Planner {

  private Planner() {
  }

  /** The plan for activating {@code profile}, given the catalogue and the servers as they are. */
  public static Plan plan(Profile profile, Catalog catalog, List<ServerInfo> servers) {
    List<ServerInfo> running = servers.stream()
        .filter(s -> s.state() == ServerState.READY || s.state() == ServerState.STARTING).toList();
    Set<String> namesInUse = new HashSet<>();
    servers.stream().filter(s -> s.state() != ServerState.STOPPED && s.state() != ServerState.FAILED)
        .forEach(s -> namesInUse.add(s.name()));
    List<ServerSpec> start = new ArrayList<>();
    Set<String> keep = new LinkedHashSet<>();
    List<Plan.Problem> problems = new ArrayList<>();
    List<Plan.Estimate> estimates = new ArrayList<>();
    for (ProfileModel wanted : profile.models()) {
      if (wanted.source() != ModelSource.LOCAL) {
        continue;
      }
      ModelEntry entry = catalog.find(wanted.model()).orElse(null);
      if (entry == null) {
        problems.add(new Plan.Problem(wanted.model(), "no model '" + wanted.model() + "' in the registry"));
        continue;
      }
      if (!entry.valid()) {
        problems.add(new Plan.Problem(wanted.model(), "model '" + entry.id() + "' cannot be served: "
            + entry.invalidReason().orElse("")));
        continue;
      }
      ModelEntry launched = entry.withLaunch(launch(entry.launch(), wanted));
      estimates.add(new Plan.Estimate(entry.id(), wanted.replicas(),
          launched.memoryEstimateBytes() * wanted.replicas()));
      List<ServerInfo> matching = running.stream()
          .filter(s -> s.model().equals(entry.id()) && s.launch().equals(launched.launch())).toList();
      int kept = 0;
      for (ServerInfo server : matching) {
        if (kept < wanted.replicas()) {
          keep.add(server.name());
          kept++;
        }
      }
      if (wanted.onDemand()) {
        continue;
      }
      for (int replica = 1; kept < wanted.replicas(); replica++) {
        String instance = ServerSpec.instanceName(entry.id(), replica);
        if (namesInUse.add(instance)) {
          start.add(new ServerSpec(instance, launched));
          kept++;
        }
      }
    }
    List<String> stop = running.stream().map(ServerInfo::name).filter(name -> !keep.contains(name)).toList();
    return new Plan(profile.name(), start, List.copyOf(keep), stop, problems, estimates);
  }

  /** The registry's launch settings with the profile's overrides on top; the environment is the registry's. */
  public static LaunchSettings launch(LaunchSettings base, ProfileModel wanted) {
    return new LaunchSettings(wanted.context().orElse(base.context()), wanted.parallel().orElse(base.parallel()),
        wanted.gpuLayers().orElse(base.gpuLayers()), wanted.args().orElse(base.args()), base.env());
  }
}
