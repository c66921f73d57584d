package dev.magi.gateway.config;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Binds {@code magi.yaml} to {@link MagiConfig} with Jackson, strictly: a key no record names, a key
 * given twice, a fraction where a whole number belongs are all refused. Every problem Jackson or a
 * record's constructor finds becomes a {@link ConfigException} that starts with the field path
 * ({@code backends[1].url: must start with http:// or https://}).
 *
 * <p>The keys are the {@code @JsonProperty} names of the records' {@code @JsonCreator} factories,
 * and {@link #keys()} reads them off the same place, so the documented schema cannot drift from the
 * one that is enforced.
 */
final class ConfigBinding {

  private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(com.fasterxml.jackson.dataformat.yaml.YAMLParser.Feature.EMPTY_STRING_AS_NULL).build())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      // Only the factories' parameters are keys: never a record's fields or accessors.
      .disable(MapperFeature.ALLOW_FINAL_FIELDS_AS_MUTATORS)
      .disable(MapperFeature.INFER_PROPERTY_MUTATORS)
      .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.NONE)
      .visibility(PropertyAccessor.GETTER, JsonAutoDetect.Visibility.NONE)
      .visibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
      .addModule(new SimpleModule("magi-config").addDeserializer(Duration.class, new DurationText()))
      .withCoercionConfig(LogicalType.Boolean, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail))
      .build();

  private ConfigBinding() {
  }

  /**
   * The YAML text as a tree, null when it is empty.
   *
   * @throws ConfigException when it is not YAML, or a mapping has a key twice
   */
  static JsonNode parse(String yaml) {
    try {
      return yaml.isBlank() ? null : YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw explain(e, Map.of());
    }
  }

  /**
   * The configuration in {@code tree} (null or empty: every default).
   *
   * @param renamed paths whose value came from elsewhere, and the name to blame instead (the
   *     environment variable that set it)
   * @throws ConfigException naming the field path of the first problem
   */
  static MagiConfig bind(JsonNode tree, Map<String, String> renamed) {
    JsonNode root = tree == null || tree.isNull() ? YAML.createObjectNode() : tree;
    if (!root.isObject()) {
      throw new ConfigException("", "must be a mapping of keys to values");
    }
    withEmptyMappings((ObjectNode) root, YAML.constructType(MagiConfig.class));
    try {
      return YAML.treeToValue(root, MagiConfig.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw explain(e, renamed);
    }
  }

  /**
   * Puts an empty mapping wherever a mapping is absent or null (a section, an entry of a list or a
   * mapping of them: {@code models.settings.<stem>:} with nothing after it), so that each record's
   * factory fills in its own defaults and no parent needs to know them.
   */
  private static void withEmptyMappings(ObjectNode node, JavaType type) {
    for (BeanPropertyDefinition key : creatorKeys(type)) {
      JavaType keyType = key.getConstructorParameter().getType();
      JsonNode value = node.get(key.getName());
      if (isSection(keyType)) {
        if (value == null || value.isNull()) {
          value = node.putObject(key.getName());
        }
        if (value.isObject()) {
          withEmptyMappings((ObjectNode) value, keyType);
        }
      } else if (value != null && value.isContainerNode() && isSection(keyType.getContentType())) {
        JavaType entryType = keyType.getContentType();
        if (value instanceof com.fasterxml.jackson.databind.node.ArrayNode list && keyType.isCollectionLikeType()) {
          for (int i = 0; i < list.size(); i++) {
            if (list.get(i).isNull()) {
              list.set(i, YAML.createObjectNode());
            }
            withEntry(list.get(i), entryType);
          }
        } else if (value instanceof ObjectNode entries && keyType.isMapLikeType()) {
          entries.properties().forEach(e -> {
            if (e.getValue().isNull()) {
              e.setValue(YAML.createObjectNode());
            }
            withEntry(e.getValue(), entryType);
          });
        }
      }
    }
  }

  private static void withEntry(JsonNode entry, JavaType type) {
    if (entry.isObject()) {
      withEmptyMappings((ObjectNode) entry, type);
    }
  }

  private static boolean isSection(JavaType type) {
    return type != null && type.getRawClass().isRecord() && type.getRawClass().getPackage() == ConfigBinding.class.getPackage();
  }

  private static List<BeanPropertyDefinition> creatorKeys(JavaType type) {
    BeanDescription description = YAML.getDeserializationConfig().introspect(type);
    return description.findProperties().stream().filter(BeanPropertyDefinition::hasConstructorParameter).toList();
  }

  /**
   * Every key the binding accepts, by the path of its mapping ({@code ""} for the top level,
   * {@code backends[]}, {@code profiles.<*>}, {@code profiles.<*>.models[]}, ...).
   */
  static Map<String, Set<String>> keys() {
    Map<String, Set<String>> schema = new TreeMap<>();
    collect("", YAML.constructType(MagiConfig.class), schema);
    return schema;
  }

  private static void collect(String path, JavaType type, Map<String, Set<String>> schema) {
    Set<String> names = schema.computeIfAbsent(path, p -> new TreeSet<>());
    for (BeanPropertyDefinition key : creatorKeys(type)) {
      names.add(key.getName());
      String at = path.isEmpty() ? key.getName() : path + "." + key.getName();
      JavaType keyType = key.getConstructorParameter().getType();
      if (keyType.isCollectionLikeType() && isSection(keyType.getContentType())) {
        collect(at + "[]", keyType.getContentType(), schema);
      } else if (keyType.isMapLikeType() && isSection(keyType.getContentType())) {
        collect(at + ".<*>", keyType.getContentType(), schema);
      } else if (isSection(keyType)) {
        collect(at, keyType, schema);
      }
    }
  }

  /** What went wrong, as {@code path: problem}. */
  private static ConfigException explain(Exception e, Map<String, String> renamed) {
    String path = e instanceof JsonMappingException mapping ? path(mapping.getPath()) : "";
    ConfigException problem = problem(e, path);
    return renamed.containsKey(problem.path()) ? new ConfigException(renamed.get(problem.path()), problem.problem())
        : problem;
  }

  private static ConfigException problem(Exception e, String path) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConfigException config) {
        return config.under(path);
      }
      if (cause instanceof com.fasterxml.jackson.core.exc.InputCoercionException) {
        return new ConfigException(path, "is too large a number");
      }
    }
    if (e instanceof UnrecognizedPropertyException unknown) {
      Set<String> known = new TreeSet<>();
      unknown.getKnownPropertyIds().forEach(id -> known.add(String.valueOf(id)));
      return new ConfigException(path, "unknown key (known keys: " + String.join(", ", known) + ")");
    }
    if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
      Object got = e instanceof InvalidFormatException format ? format.getValue() : null;
      return new ConfigException(path, expected(mismatch.getTargetType()) + (got == null ? "" : ", got " + got));
    }
    if (e instanceof JsonParseException parse) {
      String at = parse.getProcessor() != null ? path(parse.getProcessor().getParsingContext()) : "";
      String message = parse.getOriginalMessage();
      if (message.startsWith("Duplicate field")) {
        return new ConfigException(at, "is given twice");
      }
      return new ConfigException("", "not valid YAML: " + message
          + (parse.getLocation() == null ? "" : " (line " + parse.getLocation().getLineNr() + ")"));
    }
    return new ConfigException(path, "cannot be read: " + (e instanceof JsonProcessingException p
        ? p.getOriginalMessage() : e.getMessage()));
  }

  private static String expected(Class<?> type) {
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
      return "must be a whole number";
    }
    if (type == boolean.class || type == Boolean.class) {
      return "must be true or false";
    }
    if (List.class.isAssignableFrom(type)) {
      return "must be a list";
    }
    if (type == String.class) {
      return "must be a string";
    }
    return "must be a mapping of keys to values";
  }

  /** {@code backends[1].url} from Jackson's references. */
  private static String path(List<JsonMappingException.Reference> references) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference reference : references) {
      if (reference.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
      } else if (reference.getIndex() >= 0) {
        path.append('[').append(reference.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  /** {@code server.port} from where the parser stands. */
  private static String path(JsonStreamContext context) {
    List<String> parts = new ArrayList<>();
    for (JsonStreamContext at = context; at != null && !at.inRoot(); at = at.getParent()) {
      if (at.inObject() && at.getCurrentName() != null) {
        parts.add(0, "." + at.getCurrentName());
      } else if (at.inArray()) {
        parts.add(0, "[" + Math.max(0, at.getCurrentIndex()) + "]");
      }
    }
    String joined = String.join("", parts);
    return joined.startsWith(".") ? joined.substring(1) : joined;
  }

  /** A duration as {@link ConfigValues#parseDuration} reads it: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, or seconds. */
  private static final class DurationText extends StdScalarDeserializer<Duration> {

    DurationText() {
      super(Duration.class);
    }

    @Override
    public Duration deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      return ConfigValues.parseDuration(scalar(parser));
    }
  }

  /** A size in bytes as {@link ConfigValues#parseSize} reads it: {@code 2097152}, {@code 512KiB}, {@code 4GiB}. */
  static final class Size extends StdScalarDeserializer<Long> {

    Size() {
      super(Long.class);
    }

    @Override
    public Long deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      return ConfigValues.parseSize(scalar(parser));
    }
  }

  /** The text of a scalar, or what stands where one belongs ({@code a mapping}, {@code a list}) to complain of. */
  private static String scalar(JsonParser parser) {
    JsonToken token = parser.currentToken();
    if (token == JsonToken.START_OBJECT) {
      return "a mapping";
    }
    if (token == JsonToken.START_ARRAY) {
      return "a list";
    }
    try {
      return parser.getText();
    } catch (IOException e) {
      return String.valueOf(token);
    }
  }
}
