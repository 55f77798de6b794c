# LibTorch discovery and the one precompiled header every LibTorch translation unit shares.
find_package(Torch REQUIRED)
# Torch's config appends flags of its own; keep only what the libraries need.
set(CHOP_TORCH_LIBS ${TORCH_LIBRARIES})

add_library(chop_torch_pch STATIC ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp)
target_link_libraries(chop_torch_pch PUBLIC ${CHOP_TORCH_LIBS} PRIVATE chop_warnings)
target_include_directories(chop_torch_pch SYSTEM PUBLIC ${TORCH_INCLUDE_DIRS})
target_precompile_headers(chop_torch_pch PUBLIC
  <ATen/ATen.h> <vector> <string> <map> <memory> <unordered_map> <functional>)

# Targets that use LibTorch reuse the same PCH (built once per build tree).
function(chop_use_torch target)
  target_link_libraries(${target} PUBLIC chop_torch_pch)
  target_precompile_headers(${target} REUSE_FROM chop_torch_pch)
endfunction()
