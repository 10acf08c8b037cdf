# e2e.compare times a real pytest-benchmark suite nine times and judges the
# verdicts on those timings: other tests running beside it on a 2-core
# machine would move the medians more than the 20% slowdown it must find,
# so ctest runs it alone.  (Included after e2e.cmake, which defines it.)
if(TEST e2e.compare)
  set_tests_properties(e2e.compare PROPERTIES RUN_SERIAL TRUE)
endif()
