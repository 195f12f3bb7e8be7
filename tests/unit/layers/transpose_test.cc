// Transpose against a plain loop: every element in its place, for
// shapes around the 16x16 blocks (edges of 1-15 rows or columns) and the
// seed BN model's batch-32 shapes; nothing written past out.
#include "engine/layers/transpose.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(Transpose, MatchesPlainLoopAroundBlockEdges) {
  std::vector<std::pair<int64_t, int64_t>> shapes = {
      {32, 100}, {300, 32}, {100, 32}, {32, 10}, {32, 300}, {1, 1}};
  for (int64_t rows : {1, 2, 15, 16, 17, 31, 33}) {
    for (int64_t cols : {1, 3, 16, 18, 47}) shapes.emplace_back(rows, cols);
  }
  constexpr int64_t kGuard = 16;
  for (const auto& [rows, cols] : shapes) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    std::vector<float> in(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i) {
      in[i] = static_cast<float>(i) * 0.25f - 3.f;
    }
    std::vector<float> out(rows * cols + kGuard, -7.f);
    Transpose(in.data(), rows, cols, out.data());
    int64_t wrong = 0;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        wrong += out[c * rows + r] != in[r * cols + c];
      }
    }
    EXPECT_EQ(wrong, 0);
    for (int64_t i = rows * cols; i < rows * cols + kGuard; ++i) {
      EXPECT_EQ(out[i], -7.f) << "written past out at " << i;
    }
  }
}

}  // namespace
}  // namespace profundo
