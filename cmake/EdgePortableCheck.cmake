# portable_check: when EDGE_PORTABLE_ONLY is ON, a target (part of ALL) that fails the build if any
# portable static library references the heap or the exception runtime (STYLE.md P7). The list of
# libraries is the global property EDGE_PORTABLE_TARGETS, which edge_add_module() appends to for
# PORTABLE non-interface libraries. Also writes ${CMAKE_BINARY_DIR}/edge_portable_libs.txt (one
# library path per line) for scripts/build-cortex-m4.sh.
include_guard(GLOBAL)

function(edge_add_portable_check)
  get_property(targets GLOBAL PROPERTY EDGE_PORTABLE_TARGETS)
  set(files "")
  foreach(t IN LISTS targets)
    list(APPEND files "$<TARGET_FILE:${t}>")
  endforeach()
  add_custom_target(portable_check ALL
    COMMAND ${CMAKE_COMMAND} -DEDGE_NM=${CMAKE_NM}
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/EdgePortableCheckScript.cmake -- ${files}
    COMMENT "Checking portable libraries for heap and exception references"
    VERBATIM)
  if(targets)
    add_dependencies(portable_check ${targets})
  endif()
  list(JOIN files "\n" content)
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/edge_portable_libs.txt CONTENT "${content}\n")
endfunction()

if(EDGE_PORTABLE_ONLY)
  # Run once every directory has been processed, so modules added after lib/ (firmware/) count.
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL edge_add_portable_check)
endif()
