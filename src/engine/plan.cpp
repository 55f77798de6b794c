// The plan's storage and the context ops run in (see plan.h): aligned blocks from a per-thread
// pool, value and gradient buffers, parameter slots and the shared GEMM scratch.
#include "engine/plan.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/mman.h>

namespace chop::engine {

namespace {

// Blocks of 1 MiB and more (an evaluation's arena, a training plan's) are mapped with their
// pages populated in one call: the first forward of a fresh plan otherwise takes one page fault
// per 4 KiB page it writes (~370 for a PTQ trial's 1.5 MiB arena, ~1.5 ms inside a search's
// first trial here). Smaller blocks come from the heap. Both are page or cache-line aligned.
constexpr size_t kMappedBytes = size_t{1} << 20;

float* new_block(size_t bytes) {
  if (bytes < kMappedBytes) return static_cast<float*>(std::aligned_alloc(64, bytes));
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<float*>(p);
}

void release_block(float* p, size_t bytes) {
  if (!p) return;
  if (bytes < kMappedBytes)
    std::free(p);
  else
    munmap(p, bytes);
}

// The per-thread pool of released blocks (see AlignedFloats): the two largest are kept.
struct BlockPool {
  struct Block {
    float* p = nullptr;
    size_t bytes = 0;
  };
  Block blocks[2];
  ~BlockPool() {
    for (Block& b : blocks) release_block(b.p, b.bytes);
  }
  float* take(size_t bytes) {
    for (Block& b : blocks)
      if (b.p && b.bytes == bytes) {
        float* p = b.p;
        b = Block{};
        return p;
      }
    return nullptr;
  }
  void give(float* p, size_t bytes) {
    Block* slot = &blocks[0];
    for (Block& b : blocks)
      if (!b.p || b.bytes < slot->bytes) slot = &b;
    if (slot->p && slot->bytes >= bytes) {
      release_block(p, bytes);
      return;
    }
    release_block(slot->p, slot->bytes);
    *slot = Block{p, bytes};
  }
};

BlockPool& block_pool() {
  thread_local BlockPool pool;
  return pool;
}

}  // namespace

void AlignedFloats::Free::operator()(float* p) const {
  block_pool().give(p, bytes);
}

void AlignedFloats::allocate(int64_t n, bool zero) {
  // Sizes round up to 4 KiB so that similar plans (the trials of one search) share blocks.
  const size_t bytes =
      (static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float) + 4095) / 4096 * 4096;
  float* p = block_pool().take(bytes);
  const bool fresh_mapping = !p && bytes >= kMappedBytes;  // zero already
  if (!p) p = new_block(bytes);
  if (!p) throw std::bad_alloc();
  if (zero && !fresh_mapping) std::memset(p, 0, bytes);
  data_ = std::unique_ptr<float, Free>(p, Free{bytes});
  size_ = n;
}

int64_t Op::param_offset(const std::string& name) const {
  for (const auto& [pname, off] : param_offsets)
    if (pname == name) return off;
  return -1;
}

float* RunContext::value_data(int v) const {
  return plan->buffers[static_cast<size_t>(plan->values[static_cast<size_t>(v)].buffer)].data;
}
float* RunContext::value_grad(int v) const {
  return plan->buffers[static_cast<size_t>(plan->values[static_cast<size_t>(v)].buffer)].grad;
}
float* RunContext::begin_grad(int v) const {
  Buffer& b = plan->buffers[static_cast<size_t>(plan->values[static_cast<size_t>(v)].buffer)];
  return b.grad_written ? plan->grad_scratch : b.grad;
}
void RunContext::end_grad(int v) const {
  Buffer& b = plan->buffers[static_cast<size_t>(plan->values[static_cast<size_t>(v)].buffer)];
  if (b.grad_written) kt->accumulate(plan->grad_scratch, b.grad, rows * b.row_floats);
  b.grad_written = true;
}
void RunContext::add_grad(int v, const float* src) const {
  Buffer& b = plan->buffers[static_cast<size_t>(plan->values[static_cast<size_t>(v)].buffer)];
  if (b.grad_written)
    kt->accumulate(src, b.grad, rows * b.row_floats);
  else
    std::memcpy(b.grad, src, sizeof(float) * static_cast<size_t>(rows * b.row_floats));
  b.grad_written = true;
}
bool RunContext::needs_grad(int v) const {
  return plan->values[static_cast<size_t>(v)].needs_grad;
}
float* RunContext::param(int64_t offset) const {
  return plan->param_data.data() + offset;
}
float* RunContext::param_grad(int64_t offset) const {
  return plan->params_grad_target + offset;
}
float* RunContext::gemm_scratch() const {
  return plan->gemm_scratch;
}
void RunContext::gemm(const GemmArgs& args) const {
  kernels::gemm(*kt, args, plan->gemm_scratch, threads);
}

}  // namespace chop::engine
