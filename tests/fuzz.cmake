# Fuzz targets (tests/fuzz/, docs/testing.md).  Each target is one
# LLVMFuzzerTestOneInput over seeds copied from tests/data at configure time
# into fuzz-seeds/<target>/ in the build folder (nothing outside the
# repository).
#
# - Every build: fuzz_<t>_standalone replays the seeds plus deterministic
#   mutations (tests/fuzz/standalone.c) as the ctest test fuzz.<t>, a few
#   seconds each under ASan and UBSan in `make test`.
# - -DFUZZ=ON (clang; CMakeLists.txt instruments every library with
#   -fsanitize=fuzzer-no-link): fuzz_<t> is a coverage-guided libFuzzer
#   binary, and fuzz.<t>.libfuzzer runs it for 10 s.  `make fuzz` runs each
#   for FUZZ_SECONDS (tests/fuzz/run.sh) and prints cov:/ft: per target.
set(FUZZ_DATA ${CMAKE_CURRENT_SOURCE_DIR}/data)
set(FUZZ_SEEDS_DIR ${CMAKE_CURRENT_BINARY_DIR}/fuzz-seeds)
set(FUZZ_ITERATIONS 20000/5 CACHE STRING
    "Mutations[/seconds] per target in the standalone replay (ctest fuzz.*)")

# fuzz_target(NAME SOURCE LIBS <libs...> SEEDS <globs...> [DEFS <defs...>])
function(fuzz_target name source)
  cmake_parse_arguments(F "" "" "LIBS;SEEDS;DEFS" ${ARGN})
  set(seeds ${FUZZ_SEEDS_DIR}/${name})
  file(REMOVE_RECURSE ${seeds})
  file(MAKE_DIRECTORY ${seeds})
  file(GLOB files LIST_DIRECTORIES false CONFIGURE_DEPENDS ${F_SEEDS})
  foreach(f IN LISTS files)
    # tests/data/formats/valid/pytest_odd/input.json -> valid_pytest_odd_input.json
    file(RELATIVE_PATH rel ${CMAKE_CURRENT_SOURCE_DIR} ${f})
    string(REGEX REPLACE "^(data|fuzz/corpus)/" "" rel ${rel})
    string(REPLACE "/" "_" flat ${rel})
    configure_file(${f} ${seeds}/${flat} COPYONLY)
  endforeach()
  list(LENGTH files nfiles)
  if(nfiles EQUAL 0)
    message(FATAL_ERROR "fuzz target ${name}: no seed files")
  endif()

  add_executable(fuzz_${name}_standalone fuzz/standalone.c ${source})
  target_link_libraries(fuzz_${name}_standalone PRIVATE ${F_LIBS})
  target_compile_definitions(fuzz_${name}_standalone PRIVATE ${F_DEFS})
  add_test(NAME fuzz.${name}
           COMMAND fuzz_${name}_standalone ${FUZZ_ITERATIONS} ${seeds})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 600)

  if(FUZZ)
    add_executable(fuzz_${name} ${source})
    target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS})
    target_compile_definitions(fuzz_${name} PRIVATE ${F_DEFS})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    set(dict ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/${name}.dict)
    if(NOT EXISTS ${dict})
      set(dict ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/json.dict)
    endif()
    set(corpus ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus/${name})
    file(MAKE_DIRECTORY ${corpus})
    add_test(NAME fuzz.${name}.libfuzzer
             COMMAND fuzz_${name} -max_total_time=10 -timeout=30
                     -print_final_stats=1 -dict=${dict} ${corpus} ${seeds})
    set_tests_properties(fuzz.${name}.libfuzzer PROPERTIES LABELS fuzz
                         TIMEOUT 120)
  endif()
endfunction()

set(FUZZ_ALL_FORMATS
    ${FUZZ_DATA}/ingest/*/*/input.*
    ${FUZZ_DATA}/formats/*/*/input.*
    ${FUZZ_DATA}/fixtures/*/*.json
    ${FUZZ_DATA}/fixtures/*/*.csv)

# The ingest parser as the server calls it: format detected, multipart.
fuzz_target(ingest fuzz/fuzz_ingest.c LIBS ingest core
            SEEDS ${FUZZ_ALL_FORMATS})

# One target per format: the bytes go to that adapter only.
foreach(spec
    "native|benchvault/v1|${FUZZ_DATA}/ingest/*/*/input.*"
    "pytest|pytest-benchmark|${FUZZ_DATA}/formats/*/pytest_*/input.*;${FUZZ_DATA}/fixtures/pytest-benchmark/*.json"
    "gbench|gbench|${FUZZ_DATA}/formats/*/gbench_*/input.*;${FUZZ_DATA}/fixtures/google-benchmark/*.json"
    "hyperfine|hyperfine|${FUZZ_DATA}/formats/*/hyperfine_*/input.*;${FUZZ_DATA}/fixtures/hyperfine/*.json"
    "locust|locust|${FUZZ_DATA}/formats/*/locust_*/input.*;${FUZZ_DATA}/fixtures/locust/*.csv"
    "gotest|gotest|${FUZZ_DATA}/formats/*/gotest_*/input.*"
    "bmf|bmf|${FUZZ_DATA}/formats/*/bmf_*/input.*")
  string(REPLACE "|" ";" parts "${spec}")
  list(GET parts 0 name)
  list(GET parts 1 format)
  list(SUBLIST parts 2 -1 globs)
  fuzz_target(${name} fuzz/fuzz_format.c LIBS ingest core SEEDS ${globs}
              DEFS "FUZZ_FORMAT=\"${format}\"")
endforeach()

# The multipart/form-data reader: every input is a multipart body.
fuzz_target(multipart fuzz/fuzz_format.c LIBS ingest core
            SEEDS ${FUZZ_DATA}/formats/*/*multipart*/input.*
            DEFS "FUZZ_FORMAT=NULL")

# The statistics engine's inputs: analyze numbers, comparison settings.
fuzz_target(stats fuzz/fuzz_stats.c LIBS analysis ingest core
            SEEDS ${FUZZ_DATA}/fuzz_stats/* ${FUZZ_DATA}/stats/*.json)

# Query strings, forms and bodies through the real server (loopback).
fuzz_target(http fuzz/fuzz_http.c LIBS server render store core
            SEEDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/http/*)

# `make fuzz` builds these.
if(FUZZ)
  add_custom_target(fuzz_all DEPENDS fuzz_ingest fuzz_native fuzz_pytest
    fuzz_gbench fuzz_hyperfine fuzz_locust fuzz_gotest fuzz_bmf
    fuzz_multipart fuzz_stats fuzz_http)
endif()
