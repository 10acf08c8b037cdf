# Change points on real annotated series (TCPD, van den Burg & Williams): the
# default method must score above reporting no change point, in F1 and in
# segmentation cover (docs/changepoints.md).  Data and scorer in tests/data/cpd.
add_test(NAME data.cpd_tcpd
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/data/cpd/score_tcpd.py
                 -- $<TARGET_FILE:benchvault> analyze changepoints)
set_tests_properties(data.cpd_tcpd PROPERTIES LABELS data TIMEOUT 300
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
