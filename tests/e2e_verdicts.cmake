# e2e.verdicts (issue 11's acceptance) judges recorded real histories and
# then times the real pytest-benchmark suite through `benchvault run` (a
# fresh base history and gated heads, a few minutes): other tests beside it
# on a 2-core machine would move those timings, so ctest runs it alone.
# (Included after e2e.cmake, which defines it.)
if(TEST e2e.verdicts)
  set_tests_properties(e2e.verdicts PROPERTIES RUN_SERIAL TRUE TIMEOUT 1500)
endif()
