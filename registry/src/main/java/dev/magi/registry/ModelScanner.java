package dev.magi.registry;

import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the models under a directory: every {@code *.gguf}, recursively. A split model
 * ({@code name-00001-of-00003.gguf}) is listed once, by its first part; {@code mmproj*} files are not
 * models but are remembered beside the models in their folder. A file whose real path (after
 * symlinks) leaves the directory is refused. Unreadable files are listed as invalid, with the reason.
 *
 * <p>Blocking: runs on a worker thread.
 */
public final class ModelScanner {

  /** Most files looked at in one scan; a larger tree is cut short with a warning. */
  public static final int MAX_FILES = 10_000;
  /** Deepest folder nesting looked into. */
  public static final int MAX_DEPTH = 16;

  private static final Logger LOG = Logger.getLogger(ModelScanner.class.getName());
  private static final Pattern SPLIT = Pattern.compile("(.+)-(\\d{5})-of-(\\d{5})\\.gguf", Pattern.CASE_INSENSITIVE);

  private final Path root;
  private final Map<String, ModelSettings> settings;
  private final LaunchSettings defaults;

  /**
   * @param root the models directory
   * @param settings per-file configuration, by file stem (the stem without a split suffix)
   * @param defaults launch settings for files without configuration
   */
  public ModelScanner(Path root, Map<String, ModelSettings> settings, LaunchSettings defaults) {
    this.root = root;
    this.settings = Map.copyOf(settings);
    this.defaults = defaults;
  }

  /** The models directory. */
  public Path root() {
    return root;
  }

  /**
   * Scans the directory. A missing directory is an empty catalogue, not an error.
   *
   * @return the models sorted by id
   */
  public List<ModelEntry> scan() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    Path realRoot = root.toRealPath();
    Map<Path, Path> mmprojByFolder = new HashMap<>();
    List<Path> candidates = new ArrayList<>();
    List<ModelEntry> refused = new ArrayList<>();
    Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), MAX_DEPTH, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        return dir.toRealPath().startsWith(realRoot) ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!attrs.isRegularFile() || !name.endsWith(".gguf")) {
          return FileVisitResult.CONTINUE;
        }
        if (candidates.size() + refused.size() >= MAX_FILES) {
          LOG.warning(() -> "more than " + MAX_FILES + " GGUF files under " + root + "; the rest are ignored");
          return FileVisitResult.TERMINATE;
        }
        if (!file.toRealPath().startsWith(realRoot)) {
          refused.add(invalid(file, stem(file), "refused: a symlink leads outside the models directory"));
        } else if (name.startsWith("mmproj")) {
          mmprojByFolder.putIfAbsent(file.getParent(), file.toRealPath());
        } else {
          candidates.add(file);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        if (!(e instanceof FileSystemLoopException) && !(e instanceof NoSuchFileException)) {
          LOG.warning(() -> "cannot read " + file + ": " + e.getMessage());
        }
        return FileVisitResult.CONTINUE;
      }
    });
    Map<String, ModelEntry> byId = new TreeMap<>();
    Map<String, String> idOwners = new LinkedHashMap<>();
    candidates.sort(null);
    for (Path file : candidates) {
      Matcher split = SPLIT.matcher(file.getFileName().toString());
      if (split.matches() && Integer.parseInt(split.group(2)) != 1) {
        continue;
      }
      ModelEntry entry = entry(file, split.matches() ? split : null, mmprojByFolder.get(file.getParent()));
      String owner = idOwners.putIfAbsent(entry.id(), entry.file());
      if (owner != null) {
        entry = invalid(file, entry.id() + " (" + entry.file() + ")", "duplicate model id: " + owner
            + " already has it; give one of them another id in configuration");
      }
      byId.put(entry.id(), entry);
    }
    refused.forEach(entry -> byId.putIfAbsent(entry.id(), entry));
    return List.copyOf(byId.values());
  }

  private ModelEntry entry(Path file, Matcher split, Path mmproj) {
    String stem = split != null ? split.group(1) : stem(file);
    ModelSettings configured = settings.getOrDefault(stem, ModelSettings.defaults(defaults));
    String id = configured.id().orElse(stem);
    long size;
    int parts = 1;
    try {
      size = Files.size(file);
      if (split != null) {
        parts = Integer.parseInt(split.group(3));
        for (int part = 2; part <= parts; part++) {
          Path next = file.resolveSibling(String.format("%s-%05d-of-%05d.gguf", stem, part, parts));
          if (!Files.isRegularFile(next)) {
            return invalid(file, id, "split model is missing part " + part + " of " + parts);
          }
          size += Files.size(next);
        }
      }
    } catch (IOException e) {
      return invalid(file, id, "cannot read: " + e.getMessage());
    }
    GgufMetadata metadata;
    try {
      metadata = GgufReader.read(file);
    } catch (IOException e) {
      return invalid(file, id, e.getMessage());
    }
    ModelKind kind = configured.kind().orElse(metadata.poolingType() == GgufMetadata.POOLING_RANK ? ModelKind.RERANK
        : metadata.isEmbedding() ? ModelKind.EMBEDDING : ModelKind.CHAT);
    LaunchSettings launch = trainedContextCap(configured, metadata);
    return new ModelEntry(id, configured.aliases(), realPath(file), relative(file), size, parts,
        Optional.ofNullable(mmproj), kind, Optional.of(metadata), Optional.empty(), launch,
        MemoryEstimate.bytes(size, metadata, launch));
  }

  /**
   * The launch settings of a model: a context configured for it is used as it is; otherwise the
   * defaults' context, but never more than the model was trained for ({@code <arch>.context_length}).
   */
  static LaunchSettings trainedContextCap(ModelSettings configured, GgufMetadata metadata) {
    LaunchSettings launch = configured.launch();
    long trained = metadata.contextLength();
    if (configured.contextConfigured() || trained <= 0 || trained >= launch.context()) {
      return launch;
    }
    return new LaunchSettings((int) trained, launch.parallel(), launch.gpuLayers(), launch.args(), launch.env());
  }

  private ModelEntry invalid(Path file, String id, String reason) {
    long size = 0;
    try {
      size = Files.size(file);
    } catch (IOException ignored) {
      // size stays unknown
    }
    return new ModelEntry(id, List.of(), realPath(file), relative(file), size, 1, Optional.empty(), ModelKind.CHAT,
        Optional.empty(), Optional.of(reason), defaults, MemoryEstimate.bytes(size, null, defaults));
  }

  private String relative(Path file) {
    return root.relativize(file).toString();
  }

  private static Path realPath(Path file) {
    try {
      return file.toRealPath();
    } catch (IOException e) {
      return file.toAbsolutePath();
    }
  }

  /** The file name without {@code .gguf}. */
  static String stem(Path file) {
    String name = file.getFileName().toString();
    return name.substring(0, name.length() - ".gguf".length());
  }
}
