# Fuzzing the statistics engine's inputs (tests/fuzz/fuzz_stats.c): the
# ctest test fuzz.stats replays tests/data/fuzz_stats and deterministic
# mutations of it under the sanitizers; with clang, fuzz_stats is a
# libFuzzer binary.
add_executable(fuzz_stats_standalone fuzz/standalone.c fuzz/fuzz_stats.c)
target_link_libraries(fuzz_stats_standalone PRIVATE analysis ingest core)
add_test(NAME fuzz.stats
         COMMAND fuzz_stats_standalone 20000
                 ${CMAKE_CURRENT_SOURCE_DIR}/data/fuzz_stats)
set_tests_properties(fuzz.stats PROPERTIES LABELS fuzz TIMEOUT 600)
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  add_executable(fuzz_stats fuzz/fuzz_stats.c)
  target_compile_options(fuzz_stats PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_stats PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_stats PRIVATE analysis ingest core)
endif()
