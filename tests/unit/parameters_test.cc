// ParameterStore and the optimizers' slots keep their flat buffers on 64-byte
// cache lines, and from 64 KiB up on 4 KiB pages (engine/aligned_vector.h):
// the vectorized loops and the team splits on multiples of 16 floats assume
// whole lines.
#include <cstdint>
#include <string>

#include "engine/aligned_vector.h"
#include "engine/optimizers/optimizer.h"
#include "engine/parameters.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

bool OnCacheLine(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % 64 == 0;
}
bool OnPage(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % 4096 == 0;
}

TEST(ParameterStoreTest, FlatBuffersStartOnCacheLinesAndPages) {
  // Sizes that glibc serves from mmap (a block 16 bytes into its pages) and
  // from its heap.
  for (const int64_t units : {300, 3}) {
    ParameterStore store;
    store.Add("dense/kernel", {784, units}, true);
    store.Add("batch_normalization/moving_mean", {units}, false);
    store.RequestBfloat16Mirror();
    store.Allocate();
    EXPECT_TRUE(OnCacheLine(store.trainable_values().data())) << units;
    EXPECT_TRUE(OnCacheLine(store.grads().data())) << units;
    EXPECT_TRUE(OnCacheLine(store.non_trainable_values().data())) << units;
    EXPECT_TRUE(OnCacheLine(store.bfloat16_values())) << units;
    const AlignedVector<float> copy = store.trainable_values();
    EXPECT_TRUE(OnCacheLine(copy.data())) << units;
    EXPECT_EQ(copy, store.trainable_values());
    if (units == 300) {  // 940 KB of floats, 470 KB of bf16
      EXPECT_TRUE(OnPage(store.trainable_values().data()));
      EXPECT_TRUE(OnPage(store.grads().data()));
      EXPECT_TRUE(OnPage(store.bfloat16_values()));
      EXPECT_TRUE(OnPage(copy.data()));
    }
  }
}

TEST(ParameterStoreTest, OptimizerSlotsStartOnPages) {
  ParameterStore store;
  store.Add("dense/kernel", {784, 300}, true);
  store.Allocate();
  v1::Optimizer spec;
  spec.mutable_nadam();
  auto opt = MakeOptimizer(spec, "optimizer");
  ASSERT_TRUE(opt.ok()) << opt.status();
  (*opt)->Step(store);
  const auto slots = (*opt)->slots();
  ASSERT_EQ(slots.size(), 2u);
  for (const auto& [name, slot] : slots) {
    EXPECT_EQ(static_cast<int64_t>(slot->size()), store.trainable_count());
    EXPECT_TRUE(OnPage(slot->data())) << name;
  }
}

}  // namespace
}  // namespace profundo
