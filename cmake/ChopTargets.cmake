# Helpers that give every chop target the same warnings, include root and test registration.
add_library(chop_warnings INTERFACE)
target_compile_options(chop_warnings INTERFACE -Wall -Wextra -Wpedantic -Wno-unused-parameter)

# chop_add_library(NAME SOURCES ... DEPS ... [TORCH])
#   A static library for one layer; TORCH adds LibTorch with the shared precompiled header.
function(chop_add_library name)
  cmake_parse_arguments(A "TORCH" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  add_library(chop::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${A_DEPS} PRIVATE chop_warnings)
  if(A_TORCH)
    chop_use_torch(${name})
  endif()
endfunction()

# chop_add_test(NAME SOURCES ... DEPS ... LABELS ... [TORCH] [POSTGRES])
#   One gtest binary per area; each TEST is a ctest case carrying the labels. POSTGRES: the
#   tests share the throwaway PostgreSQL server of the pg_server fixture (tests/CMakeLists.txt).
function(chop_add_test name)
  cmake_parse_arguments(A "TORCH;POSTGRES" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main chop_warnings)
  target_compile_definitions(${name} PRIVATE
    CHOP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CHOP_BINARY_DIR="${PROJECT_BINARY_DIR}"
    CHOP_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  if(A_TORCH)
    chop_use_torch(${name})
  endif()
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 600)
  endif()
  # gtest_discover_tests cannot carry a list-valued property: one label per test binary.
  list(GET A_LABELS 0 A_LABELS)
  if(A_LABELS STREQUAL "unit")
    set_property(GLOBAL APPEND PROPERTY CHOP_UNIT_TEST_TARGETS ${name})
  endif()
  set(extra_properties "")
  if(A_POSTGRES)
    set(extra_properties FIXTURES_REQUIRED pg_server
        ENVIRONMENT "CHOP_TEST_PG_STATE=${PROJECT_BINARY_DIR}/pg_test")
  endif()
  include(GoogleTest)
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT} ${extra_properties}
    DISCOVERY_TIMEOUT 120)
endfunction()

