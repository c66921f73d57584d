package dev.magi.models;

import java.util.List;

/**
 * A named set of models that should be serving together.
 *
 * @param name the profile's name ({@code development}, {@code production}, ...)
 * @param description what it is for
 * @param memoryBudget bytes its local servers may need together; 0 means no limit
 * @param models its models
 */
public record Profile(String name, String description, long memoryBudget, List<ProfileModel> models) {

  /** Copies the list. */
  public Profile {
    models = List.copyOf(models);
  }
}
