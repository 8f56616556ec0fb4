# layering.cmake - fails when a source file includes a layer it may not use
# (DESIGN.md section 3). Run by ctest as: cmake -DROOT=<project root> -P layering.cmake
#   hw        -> libc only
#   dataplane -> hw
#   bench     -> hw (the library); bench/bench_*.c programs measure other
#                layers and may use hw, dataplane, strategy, gateway, bench
#   strategy  -> dataplane, hw
#   gateway   -> dataplane, hw, bench
#   tools     -> everything; nothing includes tools/ except tools/ and tests/
set(allowed_hw "hw")
set(allowed_dataplane "hw;dataplane")
set(allowed_bench "hw;bench")
set(allowed_bench_program "hw;dataplane;strategy;gateway;bench")
set(allowed_strategy "hw;dataplane;strategy")
set(allowed_gateway "hw;dataplane;bench;gateway")
set(layers hw dataplane bench strategy gateway tools)

set(violations "")
foreach(layer hw dataplane bench strategy gateway)
  file(GLOB_RECURSE srcs "${ROOT}/${layer}/*.c" "${ROOT}/${layer}/*.h")
  foreach(src ${srcs})
    file(STRINGS "${src}" incs REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(inc ${incs})
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^/\"]+)/.*" "\\1" dir "${inc}")
      if(dir STREQUAL inc)
        continue() # same-folder include without a folder prefix
      endif()
      list(FIND layers "${dir}" is_layer)
      get_filename_component(base "${src}" NAME)
      if(layer STREQUAL "bench" AND base MATCHES "^bench_.*\\.c$")
        list(FIND allowed_bench_program "${dir}" ok)
      else()
        list(FIND allowed_${layer} "${dir}" ok)
      endif()
      if(is_layer GREATER -1 AND ok EQUAL -1)
        file(RELATIVE_PATH rel "${ROOT}" "${src}")
        string(APPEND violations "  ${rel}: ${inc} (${layer} may not use ${dir})\n")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  message(FATAL_ERROR "layering violations:\n${violations}")
endif()
message(STATUS "layering: ok")
