# one_copy.cmake - fails when the tickwire binary holds more than one copy
# of a function `tickwire paper`'s warm-up runs ahead of the replay (see
# NOCLONE in hw/compiler.h): with two, the warm-up may run a copy the
# replay never executes and the run's first orders find their code cold.
# Run by ctest as: cmake -DBIN=<tickwire> -DNM=<nm> -P one_copy.cmake
set(fns gw_on_intent gw_send_intent gw_commit_pending gw_op_new gw_op_replace gw_op_cancel gw_op_other mm_on_md mm_on_exec
    feed_pull)
if(NOT NM OR NOT EXISTS "${NM}")
  message("SKIP: no nm to list the binary's symbols")
  return()
endif()
execute_process(COMMAND "${NM}" "${BIN}" OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm ${BIN} failed (${rc})")
endif()
string(REPLACE "\n" ";" lines "${syms}")
set(bad "")
foreach(fn ${fns})
  set(n 0)
  foreach(l ${lines})
    # "addr t name" or "addr t name.constprop.0" (any GCC clone suffix);
    # not "name.cold" (the same function's cold part, split off)
    if(l MATCHES " [tT] ${fn}(\\.[A-Za-z_]+\\.?[0-9]*)*$" AND NOT l MATCHES "\\.cold$")
      math(EXPR n "${n} + 1")
    endif()
  endforeach()
  if(NOT n EQUAL 1)
    list(APPEND bad "${fn}: ${n} copies")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "one copy each expected: ${bad}")
endif()
