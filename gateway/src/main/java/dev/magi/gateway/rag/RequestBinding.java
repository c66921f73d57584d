package dev.magi.gateway.rag;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.magi.proxy.api.ApiException;
import io.vertx.core.buffer.Buffer;
import java.util.Collection;
import java.util.Map;

/**
 * Binds JSON request bodies to records, strictly: a value of the wrong type is an error, never coerced
 * (no {@code "5"} for 5, no 5.5 for a whole number, no number for a string); unknown fields are
 * ignored, as OpenAI's clients send fields Magi does not use; duplicate keys are refused. A failure is a
 * 400 {@link ApiException} whose {@code param} is the JSON path of the value at fault (such as
 * {@code documents[2].text}) and whose message names what was expected, never a Java type.
 */
final class RequestBinding {

  /** Deepest nesting a body may have (filters nest 8 deep, two levels each). */
  static final int MAX_DEPTH = 40;

  private static final ObjectMapper MAPPER = mapper();

  private RequestBinding() {
  }

  private static ObjectMapper mapper() {
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    JsonMapper mapper = JsonMapper.builder(factory)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .build();
    for (LogicalType type : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
      mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
    }
    mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    return mapper;
  }

  /**
   * {@code body} as a {@code type}.
   *
   * @throws ApiException 400 when it is not a JSON object or a value has the wrong type
   */
  static <T> T bind(Buffer body, Class<T> type) {
    if (body == null || body.length() == 0) {
      throw ApiException.invalid(null, "The request body must be a JSON object.");
    }
    try {
      JsonNode tree = MAPPER.readTree(body.getBytes());
      if (tree == null || !tree.isObject()) {
        throw ApiException.invalid(null, "The request body must be a JSON object.");
      }
      return MAPPER.treeToValue(tree, type);
    } catch (MismatchedInputException e) {
      String param = path(e);
      throw ApiException.invalid(param.isEmpty() ? null : param, param.isEmpty()
          ? "The request body must be a JSON object." : "'" + param + "' must be " + expected(e.getTargetType()) + ".");
    } catch (JsonMappingException e) {
      String param = path(e);
      throw ApiException.invalid(param.isEmpty() ? null : param, "'" + param + "' is not valid.");
    } catch (java.io.IOException e) {
      throw ApiException.invalid(null, "The request body is not valid JSON (or nests deeper than " + MAX_DEPTH
          + " levels, or repeats a key).");
    }
  }

  /**
   * {@code node}, a part of a body already parsed, as a {@code type}; {@code at} is its path in the body.
   *
   * @throws ApiException 400 when a value has the wrong type
   */
  static <T> T bind(JsonNode node, Class<T> type, String at) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (MismatchedInputException e) {
      String param = path(e, at);
      throw ApiException.invalid(param, "'" + param + "' must be " + expected(e.getTargetType()) + ".");
    } catch (JsonProcessingException e) {
      throw ApiException.invalid(at, "'" + at + "' is not valid.");
    }
  }

  /** The JSON path of the value at fault: {@code a.b[2].c}. */
  private static String path(JsonMappingException e) {
    return path(e, "");
  }

  /** {@code prefix} and the path of the value at fault in what it names. */
  private static String path(JsonMappingException e, String prefix) {
    StringBuilder path = new StringBuilder(prefix);
    for (JsonMappingException.Reference reference : e.getPath()) {
      if (reference.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
      } else if (reference.getIndex() >= 0) {
        path.append('[').append(reference.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  /** What a value of {@code type} is, in a client's words. */
  private static String expected(Class<?> type) {
    if (type == null) {
      return "of another type";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "a whole number";
    }
    if (Number.class.isAssignableFrom(type) || type == double.class) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "an array";
    }
    if (Map.class.isAssignableFrom(type) || type.isRecord()) {
      return "an object";
    }
    return "of another type";
  }
}
