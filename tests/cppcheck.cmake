# Static analysis in `make test`: cppcheck over the module folders, any
# finding outside tests/cppcheck.supp (each with its reason) fails.  Skipped
# (with a message) when cppcheck is not installed; `make deps` installs it.
find_program(CPPCHECK cppcheck)
if(CPPCHECK)
  add_test(NAME static.cppcheck
           COMMAND ${CPPCHECK} --quiet --std=c11 --inline-suppr
                   --enable=warning,portability,performance
                   --suppressions-list=${CMAKE_CURRENT_SOURCE_DIR}/cppcheck.supp
                   --error-exitcode=1 -j2 -I ${PROJECT_SOURCE_DIR}
                   core store ingest analysis service render server agent cli
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(static.cppcheck PROPERTIES LABELS data TIMEOUT 600
                       PROCESSORS 2)
else()
  message(STATUS "cppcheck not found: static.cppcheck is not registered")
endif()
