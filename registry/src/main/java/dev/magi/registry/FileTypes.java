package dev.magi.registry;

/** Names of llama.cpp's {@code general.file_type} values ({@code enum llama_ftype} in llama.h). */
final class FileTypes {

  private static final String[] NAMES = {
      "F32", "F16", "Q4_0", "Q4_1", "Q4_1_SOME_F16", null, null, "Q8_0", "Q5_0", "Q5_1",
      "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "IQ2_XXS",
      "IQ2_XS", "Q2_K_S", "IQ3_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S", "IQ2_M",
      "IQ4_XS", "IQ1_M", "BF16", null, null, null, "TQ1_0", "TQ2_0", "MXFP4_MOE"};

  private FileTypes() {
  }

  /** The name of {@code fileType}, or {@code type <n>} for a value this table does not know. */
  static String name(int fileType) {
    int base = fileType & ~1024; // 1024 marks a type llama.cpp guessed
    if (base >= 0 && base < NAMES.length && NAMES[base] != null) {
      return NAMES[base];
    }
    return "type " + fileType;
  }
}
