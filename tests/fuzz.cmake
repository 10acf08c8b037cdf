# Fuzzing the ingest parser.  With clang, fuzz_ingest is a libFuzzer binary
# (run it by hand: ./fuzz_ingest tests/data/ingest); with any compiler,
# fuzz_ingest_standalone replays the corpus plus deterministic mutations as
# the ctest test fuzz.ingest.
add_executable(fuzz_ingest_standalone fuzz/standalone.c fuzz/fuzz_ingest.c)
target_link_libraries(fuzz_ingest_standalone PRIVATE ingest core)
add_test(NAME fuzz.ingest
         COMMAND fuzz_ingest_standalone 20000
                 ${CMAKE_CURRENT_SOURCE_DIR}/data/ingest
                 ${CMAKE_CURRENT_SOURCE_DIR}/data/formats
                 ${CMAKE_CURRENT_SOURCE_DIR}/data/fixtures)
set_tests_properties(fuzz.ingest PROPERTIES LABELS fuzz TIMEOUT 600)
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  add_executable(fuzz_ingest fuzz/fuzz_ingest.c)
  target_compile_options(fuzz_ingest PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_ingest PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_ingest PRIVATE ingest core)
endif()
