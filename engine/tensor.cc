#include "engine/tensor.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "absl/strings/str_join.h"
#include "engine/parallel.h"

namespace profundo {

namespace {
// Cache lines GatherRows prefetches at the start of each row of the next
// batch (see tensor.h).
constexpr int64_t kPrefetchLinesPerRow = 4;
}  // namespace

int64_t NumElements(const Shape& shape) {
  // A zero dimension anywhere makes the product 0, whatever the others (a
  // decoded file may declare [2^32-1, 2^32-1, 0]: no overflow on the way).
  for (int64_t d : shape) {
    if (d == 0) return 0;
  }
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeToString(const Shape& shape) {
  return "[" + absl::StrJoin(shape, ", ") + "]";
}

Tensor::Tensor(Shape shape)
    : shape_(std::move(shape)), data_(NumElements(shape_), 0.0f) {}

Tensor::Tensor(Shape shape, std::vector<float> values)
    : shape_(std::move(shape)), data_(std::move(values)) {
  assert(static_cast<int64_t>(data_.size()) == NumElements(shape_));
}

void Tensor::Reshape(Shape shape) {
  assert(NumElements(shape) == size());
  shape_ = std::move(shape);
}

void Tensor::Resize(Shape shape) {
  shape_ = std::move(shape);
  data_.resize(NumElements(shape_));
}

void Tensor::Fill(float v) { std::fill(data_.begin(), data_.end(), v); }

int64_t Tensor::row_size() const {
  if (shape_.empty()) return 1;
  return shape_[0] == 0 ? NumElements(Shape(shape_.begin() + 1, shape_.end()))
                        : size() / shape_[0];
}

Tensor Tensor::Rows(int64_t begin, int64_t end) const {
  Shape shape = shape_;
  shape[0] = end - begin;
  const int64_t row = row_size();
  return Tensor(std::move(shape),
                std::vector<float>(data_.begin() + begin * row,
                                   data_.begin() + end * row));
}

Tensor Tensor::Gather(const std::vector<int64_t>& rows) const {
  Tensor out;
  GatherRows(*this, &rows, 0, static_cast<int64_t>(rows.size()),
             Shape(shape_.begin() + 1, shape_.end()), &out);
  return out;
}

void GatherRows(const Tensor& x, const std::vector<int64_t>* order,
                int64_t begin, int64_t end, const Shape& sample_shape,
                Tensor* dst) {
  Shape shape = {end - begin};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  dst->Resize(std::move(shape));
  const int64_t row = x.row_size();
  const int64_t count = end - begin;
  float* out = dst->data();
  if (order == nullptr) {
    std::memcpy(out, x.data() + begin * row, sizeof(float) * count * row);
    return;
  }
  const int64_t* rows = order->data() + begin;
  const float* src = x.data();
  // Rows [end, next_end) of `order`: the next batch of the same size.
  const int64_t next_end =
      std::min(static_cast<int64_t>(order->size()), end + count);
  // Columns [c0, c1) of row i, then a prefetch of the start of those
  // columns in the next batch's row i.
  auto copy = [&](int64_t i, int64_t c0, int64_t c1) {
    std::memcpy(out + i * row + c0, src + rows[i] * row + c0,
                sizeof(float) * (c1 - c0));
    if (end + i >= next_end) return;
    const auto* next =
        reinterpret_cast<const char*>(src + rows[count + i] * row + c0);
    const int64_t lines = std::min<int64_t>(
        kPrefetchLinesPerRow, (sizeof(float) * (c1 - c0) + 63) / 64);
    for (int64_t l = 0; l < lines; ++l) {
      __builtin_prefetch(next + 64 * l, /*rw=*/0, /*locality=*/1);
    }
  };
  if (RunInputColumnHalves(row, [&](int64_t c0, int64_t c1) {
        for (int64_t i = 0; i < count; ++i) copy(i, c0, c1);
      })) {
    return;
  }
  auto rows_of = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) copy(i, 0, row);
  };
  if (count * row < kParallelMinElements / 4 || InParallelWork() ||
      omp_get_max_threads() == 1) {
    return rows_of(0, count);
  }
  RunOnTeam([&](int64_t t, int64_t threads) {
    const int64_t per = (count + threads - 1) / threads;
    rows_of(std::min(count, t * per), std::min(count, (t + 1) * per));
  });
}

}  // namespace profundo
