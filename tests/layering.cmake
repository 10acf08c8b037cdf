# The layers of DESIGN.md ("Layout and dependency rules") over the #include
# lines: a forbidden include, a private header of another folder, a foreign
# library outside its folder or a cycle between folders fails `make test`.
# layering.catches adds one breach of each kind to a copy of the tree and
# checks that each is caught.
add_test(NAME layering
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/layering.py
                 ${PROJECT_SOURCE_DIR})
add_test(NAME layering.catches
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/layering.py
                 --self-test ${PROJECT_SOURCE_DIR})
set_tests_properties(layering layering.catches PROPERTIES LABELS data
                     TIMEOUT 120)
