# End-to-end tests: the real server on an ephemeral loopback port, driven by
# pytest under Debian's /usr/bin/python3 (python3-pytest, python3-requests).
file(GLOB E2E_TESTS CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_*.py")
foreach(py IN LISTS E2E_TESTS)
  get_filename_component(name ${py} NAME_WE)
  string(REPLACE "test_" "" short ${name})
  add_test(NAME e2e.${short}
           COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${py}
           WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  set_tests_properties(e2e.${short} PROPERTIES LABELS e2e TIMEOUT 900
    ENVIRONMENT "BENCHVAULT_BIN=$<TARGET_FILE:benchvault>;ASAN_OPTIONS=detect_leaks=1;PYTHONDONTWRITEBYTECODE=1")
endforeach()
# The tool-format test compiles and runs real benchmark tools (g++, go,
# locust): it takes both cores of a 2-core runner, so that it never skews
# the timing-sensitive tests (comparisons on live pytest-benchmark runs).
if(TEST e2e.formats_tools)
  set_tests_properties(e2e.formats_tools PROPERTIES PROCESSORS 2)
endif()
# The attack test opens thousands of connections and times answers under
# them: it runs alone, so that neither it nor the timing-sensitive tests
# measure the other.
if(TEST e2e.attack)
  set_tests_properties(e2e.attack PROPERTIES PROCESSORS 2)
endif()
