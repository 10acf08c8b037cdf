# SQLite fault injection (tests/fault/, issue 14): a shim VFS registered as
# the default and an allocator installed with SQLITE_CONFIG_MALLOC.
# - bv_fault: a static library that unit.faults links and arms itself.
# - bv_fault_preload (tests/libbv_fault.so in the build folder): the same
#   shim as an LD_PRELOAD library for the end-to-end tests, driven by the
#   file BV_FAULT_CTL names.  No sanitizer: it is preloaded into the
#   sanitized binary (whose ASan then needs verify_asan_link_order=0).
# The benchvault binary links neither: no release build carries faults.
add_library(bv_fault STATIC ${CMAKE_CURRENT_SOURCE_DIR}/fault/fault.c)
target_link_libraries(bv_fault PUBLIC PkgConfig::SQLITE3 Threads::Threads)
add_library(bv_fault_preload SHARED ${CMAKE_CURRENT_SOURCE_DIR}/fault/fault.c
            ${CMAKE_CURRENT_SOURCE_DIR}/fault/preload.c)
target_link_libraries(bv_fault_preload PRIVATE PkgConfig::SQLITE3
                      Threads::Threads)
set_target_properties(bv_fault_preload PROPERTIES
  OUTPUT_NAME bv_fault LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
target_compile_options(bv_fault_preload PRIVATE -fno-sanitize=all)
target_link_options(bv_fault_preload PRIVATE -fno-sanitize=all)
if(TARGET unit_faults)
  target_link_libraries(unit_faults PRIVATE bv_fault)
  set_tests_properties(unit.faults PROPERTIES TIMEOUT 900)
endif()
