# Small helpers so that each library, binary and test is one short call.

# Flags for our own code only (generated code and third-party headers are
# compiled without -Werror).
set(PROFUNDO_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
if(PROFUNDO_WERROR)
  list(APPEND PROFUNDO_WARNINGS -Werror)
endif()
# GCC 12's -Wmaybe-uninitialized gives false positives inside libstdc++
# (std::regex, std::function) when sanitizer instrumentation is on.
if(PROFUNDO_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND PROFUNDO_WARNINGS -Wno-maybe-uninitialized)
endif()

if(PROFUNDO_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "PROFUNDO_FUZZ=ON needs clang (CC=clang-14 CXX=clang++-14)")
  endif()
  if(NOT PROFUNDO_SANITIZE STREQUAL "")
    message(FATAL_ERROR "PROFUNDO_FUZZ=ON brings its own sanitizers; unset PROFUNDO_SANITIZE")
  endif()
  # Coverage instrumentation for everything (libFuzzer's main is linked only
  # into the fuzz targets), ASan and UBSan as in the sanitizer build.
  # (-Wno-pass-failed: clang reports every `omp simd` loop that ASan's
  # instrumentation keeps from vectorizing.)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      -Wno-pass-failed)
  add_link_options(-fsanitize=address,undefined)
endif()

if(PROFUNDO_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(PROFUNDO_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  # Makes Debian's (uninstrumented) absl::Mutex visible to TSan in the tests;
  # see the file's comment.
  add_library(profundo_tsan_absl_sync OBJECT
    ${PROJECT_SOURCE_DIR}/tests/tsan/absl_sync_annotations.cc)
  target_link_libraries(profundo_tsan_absl_sync INTERFACE ${CMAKE_DL_LIBS})
elseif(NOT PROFUNDO_SANITIZE STREQUAL "")
  message(FATAL_ERROR "PROFUNDO_SANITIZE must be '', address or thread")
endif()

# profundo_library(NAME SRCS a.cc b.cc DEPS x y)
function(profundo_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_compile_options(${name} PRIVATE ${PROFUNDO_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# profundo_binary(NAME SRCS main.cc DEPS x y)
function(profundo_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${PROFUNDO_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# profundo_test(SRC path/foo_test.cc LABELS unit DEPS x y [TIMEOUT s])
# One executable per test file; each gtest case becomes one CTest test.
function(profundo_test)
  cmake_parse_arguments(ARG "" "SRC;TIMEOUT" "LABELS;DEPS" ${ARGN})
  get_filename_component(name ${ARG_SRC} NAME_WE)
  add_executable(${name} ${ARG_SRC})
  target_compile_options(${name} PRIVATE ${PROFUNDO_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(TARGET profundo_tsan_absl_sync)
    target_link_libraries(${name} PRIVATE profundo_tsan_absl_sync)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "PROFUNDO_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()

include(GoogleTest)
