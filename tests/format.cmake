# The tree keeps the repository's .clang-format: `make format` rewrites,
# this test (clang-format --dry-run -Werror over every tracked .c and .h)
# fails on a file that differs.  Registered when clang-format is installed
# (`make deps` installs it).
find_program(CLANG_FORMAT clang-format)
if(CLANG_FORMAT)
  add_test(NAME static.format
           COMMAND sh -c "git ls-files '*.c' '*.h' | xargs ${CLANG_FORMAT} --dry-run -Werror"
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(static.format PROPERTIES LABELS data TIMEOUT 300)
else()
  message(STATUS "clang-format not found: static.format is not registered")
endif()
