# The sanitizer build (scripts/sanitize.sh: build-asan, clang) and libFuzzer targets (fuzz/).
#   CHOP_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer on every chop target, any
#                  report fatal (a test that triggers one fails).
#   CHOP_FUZZ:     also coverage instrumentation for libFuzzer and the fuzz/ targets (clang only).
option(CHOP_SANITIZE "Build with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
option(CHOP_FUZZ "Build the libFuzzer targets of fuzz/ (clang; implies CHOP_SANITIZE)" OFF)

if(CHOP_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CHOP_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14")
  endif()
  set(CHOP_SANITIZE ON)
endif()

if(CHOP_SANITIZE)
  # -O1 keeps the build and the tests fast enough for CI; frame pointers give whole stacks.
  set(CHOP_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  add_compile_options(${CHOP_SANITIZE_FLAGS} -O1)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_compile_options(-gline-tables-only)
  else()
    add_compile_options(-g1)
  endif()
  if(CHOP_FUZZ)
    # Coverage for libFuzzer's feedback in every library; only fuzz targets link its main.
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
endif()
