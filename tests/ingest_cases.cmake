# Data-driven ingest cases (tests/data/ingest/{valid,invalid}/<case>/), one
# ctest test per folder: data.ingest.valid.<case> / data.ingest.invalid.<case>.
# The runner links only core, ingest and jansson (for comparing JSON); see
# tests/ingest_case.c for the files a case holds and how they are compared.
add_executable(ingest_case ${CMAKE_CURRENT_SOURCE_DIR}/ingest_case.c)
target_link_libraries(ingest_case PRIVATE ingest core PkgConfig::JANSSON)

# tests/data/formats/ holds the tool formats' cases (real tool outputs), run
# the same way: data.formats.valid.<case> / data.formats.invalid.<case>.
foreach(set ingest formats)
  foreach(kind valid invalid)
    file(GLOB cases LIST_DIRECTORIES true CONFIGURE_DEPENDS
         "${CMAKE_CURRENT_SOURCE_DIR}/data/${set}/${kind}/*")
    foreach(dir IN LISTS cases)
      if(IS_DIRECTORY "${dir}")
        get_filename_component(case "${dir}" NAME)
        add_test(NAME data.${set}.${kind}.${case} COMMAND ingest_case "${dir}")
        set_tests_properties(data.${set}.${kind}.${case} PROPERTIES LABELS data)
      endif()
    endforeach()
  endforeach()
endforeach()
