package dev.magi.proxy.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A validated client request: the fields routing and adapting need, and the raw bytes (forwarded
 * unchanged when nothing in the body needs rewriting).
 *
 * <p>The whole body is parsed into a tree only when something asks for it ({@link #body()}: an
 * adapter that rewrites or translates it). A request forwarded as it came is never turned into one:
 * its prompt and messages stay bytes from the client's socket to the backend's. The few top-level
 * fields the gateway reads itself are at hand without that, through {@link #field(String)}.
 *
 * <p>Confined to the event loop of the request's connection.
 */
public final class ApiRequest {

  private final Operation operation;
  private final String model;
  private final boolean stream;
  private final boolean includeUsage;
  private final boolean base64;
  private final OptionalInt maxTokens;
  private final Buffer raw;
  /** The top-level fields read while checking, each as sent; names not in {@link #captured} are not here. */
  private final ObjectNode fields;
  private final Set<String> captured;
  /** Parses the whole body, as the bytes were checked; null when the body was parsed from the start. */
  private final BodyReader reader;
  /** The whole body, once parsed. */
  private ObjectNode body;

  /** Parses a whole body with the settings (and the parser state) its bytes were checked with. */
  @FunctionalInterface
  public interface BodyReader {
    /** @throws IOException when the bytes are not a JSON object */
    ObjectNode read(Buffer raw) throws IOException;
  }

  /**
   * A request whose whole body is already parsed.
   *
   * @param operation what is asked for
   * @param model the {@code model} the client sent
   * @param stream whether the client asked for a stream
   * @param includeUsage {@code stream_options.include_usage}
   * @param base64 embeddings asked for with {@code encoding_format: "base64"}
   * @param maxTokens {@code max_completion_tokens}, else {@code max_tokens}, when either is set
   * @param body the parsed body; adapters may read it but must copy before changing it
   * @param raw the bytes of {@code body}
   */
  public ApiRequest(Operation operation, String model, boolean stream, boolean includeUsage, boolean base64,
      OptionalInt maxTokens, ObjectNode body, Buffer raw) {
    this(operation, model, stream, includeUsage, base64, maxTokens, raw, body, null, null);
    this.body = body;
  }

  private ApiRequest(Operation operation, String model, boolean stream, boolean includeUsage, boolean base64,
      OptionalInt maxTokens, Buffer raw, ObjectNode fields, Set<String> captured, BodyReader reader) {
    this.operation = operation;
    this.model = model;
    this.stream = stream;
    this.includeUsage = includeUsage;
    this.base64 = base64;
    this.maxTokens = maxTokens;
    this.raw = raw;
    this.fields = fields;
    this.captured = captured;
    this.reader = reader;
  }

  /**
   * A request of which only some top-level fields were parsed; the rest of {@code raw} is parsed if
   * and when {@link #body()} is called. The bytes must be valid JSON, checked already.
   *
   * @param fields the top-level fields named in {@code captured} that the body has, each as sent
   * @param captured the names {@code fields} answers for, present or not
   * @param reader parses the whole body when it is asked for
   */
  public static ApiRequest ofFields(Operation operation, String model, boolean stream, boolean includeUsage,
      boolean base64, OptionalInt maxTokens, ObjectNode fields, Set<String> captured, Buffer raw, BodyReader reader) {
    return new ApiRequest(operation, model, stream, includeUsage, base64, maxTokens, raw, fields, captured, reader);
  }

  public Operation operation() {
    return operation;
  }

  public String model() {
    return model;
  }

  public boolean stream() {
    return stream;
  }

  public boolean includeUsage() {
    return includeUsage;
  }

  public boolean base64() {
    return base64;
  }

  public OptionalInt maxTokens() {
    return maxTokens;
  }

  /** The bytes as received. */
  public Buffer raw() {
    return raw;
  }

  /**
   * The top-level field {@code name} as the client sent it, or null when the body has none. Fields the
   * gateway checks are answered without parsing the body; others parse it (once).
   */
  public JsonNode field(String name) {
    if (body == null && captured.contains(name)) {
      return fields.get(name);
    }
    return body().get(name);
  }

  /**
   * The whole body, parsed on the first call; adapters may read it but must copy before changing it.
   *
   * @throws ApiException 400 should the bytes, checked already, not parse after all
   */
  public ObjectNode body() {
    if (body == null) {
      try {
        body = reader.read(raw);
      } catch (IOException e) {
        throw ApiException.invalid(null, "The request body is not valid JSON.");
      }
    }
    return body;
  }
}
