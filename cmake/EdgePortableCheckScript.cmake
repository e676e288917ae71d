# Link check for portable code (STYLE.md P7): no heap, no exceptions.
#
#   cmake -DEDGE_NM=<path to nm> -P EdgePortableCheckScript.cmake -- lib1.a [lib2.a ...]
#
# Lists the undefined symbols of every object in the given static libraries (`nm -u`) and fails
# (exit 1) if any object references the heap (malloc/free/calloc/realloc/..., operator new/delete)
# or the exception runtime (__cxa_throw, __cxa_allocate_exception, personality routines). Prints
# one line per offence: library, object, symbol.
#
# Limits: it sees direct references only. A call into libc that allocates internally (strdup,
# printf with %f on newlib, ...) is not caught here; it shows up only when firmware links with a
# malloc that traps.
cmake_minimum_required(VERSION 3.25)

if(NOT EDGE_NM)
  message(FATAL_ERROR "EdgePortableCheckScript: pass -DEDGE_NM=<nm>")
endif()

# Itanium-mangled: _Znwj/_Znaj (new, 32-bit size_t), _Znwm/_Znam (64-bit host), aligned and
# nothrow variants all start with _Znw/_Zna; every operator delete starts with _Zdl/_Zda.
set(forbidden_regex
    "^(malloc|free|calloc|realloc|reallocf|aligned_alloc|memalign|posix_memalign|valloc|pvalloc|_malloc_r|_free_r|_calloc_r|_realloc_r|_Znw.*|_Zna.*|_Zdl.*|_Zda.*|__cxa_throw|__cxa_rethrow|__cxa_allocate_exception|__cxa_begin_catch|__gxx_personality_v0|__aeabi_unwind_cpp_pr[0-9])$")

set(libs "")
set(after_dashes OFF)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 1 ${last})
  if(after_dashes)
    list(APPEND libs "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_dashes ON)
  endif()
endforeach()
if(NOT libs)
  message(STATUS "portable_check: no portable libraries to check")
  return()
endif()

set(offences 0)
foreach(lib IN LISTS libs)
  execute_process(
    COMMAND "${EDGE_NM}" -A -u -P "${lib}"
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "portable_check: ${EDGE_NM} failed on ${lib} (${rc}): ${err}")
  endif()
  string(REPLACE "\n" ";" lines "${out}")
  foreach(line IN LISTS lines)
    # POSIX format: "lib.a[object.o]: symbol U" (or "object.o: symbol U" outside an archive).
    if(line MATCHES "^(.*): ([^ ]+) [Uw]")
      set(where "${CMAKE_MATCH_1}")
      set(symbol "${CMAKE_MATCH_2}")
      if(symbol MATCHES "${forbidden_regex}")
        math(EXPR offences "${offences} + 1")
        message("portable_check: ${where} references ${symbol}")
      endif()
    endif()
  endforeach()
endforeach()

list(LENGTH libs n_libs)
if(offences GREATER 0)
  # FATAL_ERROR makes `cmake -P` exit 1 (cmake_language(EXIT) needs CMake 3.29).
  message(FATAL_ERROR "portable_check: FAILED: ${offences} heap/exception reference(s) in "
                      "portable code (STYLE.md P7: no heap, no exceptions)")
endif()
message("portable_check: OK: ${n_libs} portable static libraries, no heap or exception references")
