# KEFU_SANITIZE=ON builds everything with ASan and UBSan; any report aborts the process so tests fail.
if(KEFU_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# KEFU_FUZZ=ON (clang only) instruments every library for coverage-guided fuzzing; the fuzz targets link
# libFuzzer's main.
if(KEFU_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
