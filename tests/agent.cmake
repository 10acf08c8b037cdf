# The runner agent's tests: the NVML test double (a stand-in shared library,
# see tests/agent/nvml_double.c) for unit.agent (its path compiled in) and
# e2e.agent (found beside the benchvault binary, in tests/).
add_library(nvml_double SHARED ${CMAKE_CURRENT_SOURCE_DIR}/agent/nvml_double.c)
# Its exported names are NVML's (the one place without our prefix); no ASan
# (it is dlopen()ed into sanitized and plain processes alike).
set_target_properties(nvml_double PROPERTIES
  OUTPUT_NAME nvml_double LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
target_compile_options(nvml_double PRIVATE -fno-sanitize=all)
target_link_options(nvml_double PRIVATE -fno-sanitize=all)
if(TARGET unit_agent)
  add_dependencies(unit_agent nvml_double)
  target_compile_definitions(unit_agent PRIVATE
    NVML_DOUBLE_PATH="$<TARGET_FILE:nvml_double>")
  set_tests_properties(unit.agent PROPERTIES TIMEOUT 300)
endif()
