# e2e.verdicts (issue 11's acceptance) judges recorded real histories and
# gates replayed recorded runs through `benchvault run`: no live timing, so
# it runs beside the other tests; it makes a few hundred comparisons.
# (Included after e2e.cmake, which defines it.)
if(TEST e2e.verdicts)
  set_tests_properties(e2e.verdicts PROPERTIES TIMEOUT 1500)
endif()
