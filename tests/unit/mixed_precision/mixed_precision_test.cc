// mixed_precision: ParseDtypePolicy's names and errors, and FloatToBfloat16
// against a bit-level reference (round to nearest even) on hand-picked values
// and on a buffer large enough to split over threads.
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/mixed_precision/bfloat16.h"
#include "engine/mixed_precision/policy.h"
#include "engine/rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/layers/layer_test_util.h"

namespace profundo {
namespace {

using ::profundo::testing::RefBf16Bits;
using ::testing::HasSubstr;

TEST(DtypePolicy, KerasNames) {
  EXPECT_EQ(*ParseDtypePolicy("", "f"), DtypePolicy::kFloat32);
  EXPECT_EQ(*ParseDtypePolicy("float32", "f"), DtypePolicy::kFloat32);
  EXPECT_EQ(*ParseDtypePolicy("mixed_bfloat16", "f"),
            DtypePolicy::kMixedBfloat16);
  EXPECT_STREQ(DtypePolicyName(DtypePolicy::kMixedBfloat16), "mixed_bfloat16");
  EXPECT_STREQ(DtypePolicyName(DtypePolicy::kFloat32), "float32");
  absl::StatusOr<DtypePolicy> bad = ParseDtypePolicy("bfloat16", "dtype_policy");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("dtype_policy \"bfloat16\" is not supported"));
  EXPECT_TRUE(CheckDtypePolicySupported(DtypePolicy::kFloat32, "f").ok());
}

float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

TEST(FloatToBfloat16, RoundsToNearestEven) {
  const std::vector<float> x = {
      1.f, -2.f, 0.f,
      FromBits(0x3f808000u),  // tie, even below: 0x3f80
      FromBits(0x3f818000u),  // tie, odd below: 0x3f82
      FromBits(0x3f808001u),  // just above a tie: 0x3f81
      FromBits(0x3f807fffu),  // just below: 0x3f80
      FromBits(0x7f7fffffu),  // largest float rounds to infinity
      INFINITY, -INFINITY,
      FromBits(0x00000001u),  // denormals become zeros of their sign
      FromBits(0x807fffffu),
      FromBits(0x00800000u)};  // the smallest normal float stays
  std::vector<uint16_t> out(x.size());
  FloatToBfloat16(x.data(), out.data(), static_cast<int64_t>(x.size()));
  const std::vector<uint16_t> want = {0x3f80, 0xc000, 0x0000, 0x3f80,
                                      0x3f82, 0x3f81, 0x3f80, 0x7f80,
                                      0x7f80, 0xff80, 0x0000, 0x8000,
                                      0x0080};
  EXPECT_EQ(out, want);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(Bfloat16Bits(x[i]), want[i]) << i;  // the inline conversion
  }
  uint16_t nan_bits = 0;
  const float nan = NAN;
  FloatToBfloat16(&nan, &nan_bits, 1);
  EXPECT_EQ(nan_bits & 0x7f80, 0x7f80);
  EXPECT_NE(nan_bits & 0x7f, 0);
}

TEST(FloatToBfloat16, LargeBufferOnAnyThreadCount) {
  constexpr int64_t n = 100003;  // parallel, not a multiple of 16
  Rng rng(9);
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>(rng.Normal() * 100.0);
  // Denormals and ties among them (the wide paths convert 16 or 32 at once).
  for (int64_t i = 0; i < n; i += 97) {
    x[i] = FromBits(static_cast<uint32_t>(i) | (i % 2 ? 0x80000000u : 0u));
    if (i + 1 < n) x[i + 1] = FromBits(0x3f818000u);
  }
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    std::vector<uint16_t> out(n);
    FloatToBfloat16(x.data(), out.data(), n);
    int failures = 0;
    for (int64_t i = 0; i < n && failures < 5; ++i) {
      if (out[i] != RefBf16Bits(x[i])) {
        ADD_FAILURE() << i << ": " << x[i] << " -> " << out[i];
        ++failures;
      }
    }
  }
  omp_set_num_threads(1);
}

}  // namespace
}  // namespace profundo
