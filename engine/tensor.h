// Tensor: a dense, row-major float32 array with a shape. The first dimension
// is the batch wherever a tensor holds samples ([N, features...]).
//
// Owns its memory. Copyable (deep copy) and movable. Not thread-safe for
// concurrent mutation.
//
// Example:
//   Tensor x({32, 784});          // zero-filled
//   x.at(0, 5) = 1.0f;
//   x.Reshape({32, 28, 28});      // same data, new view
#ifndef PROFUNDO_ENGINE_TENSOR_H_
#define PROFUNDO_ENGINE_TENSOR_H_

#include <cstdint>
#include <string>
#include <vector>

namespace profundo {

using Shape = std::vector<int64_t>;

// Number of elements of a shape (1 for the empty shape).
int64_t NumElements(const Shape& shape);
// "[32, 784]".
std::string ShapeToString(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor of the given shape.
  explicit Tensor(Shape shape);
  Tensor(Shape shape, std::vector<float> values);

  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[i]; }
  int64_t size() const { return static_cast<int64_t>(data_.size()); }
  bool empty() const { return data_.empty(); }

  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  std::vector<float>& values() { return data_; }
  const std::vector<float>& values() const { return data_; }

  // Row-major 2-D access for [rows, cols] tensors.
  float& at(int64_t r, int64_t c) { return data_[r * shape_[1] + c]; }
  float at(int64_t r, int64_t c) const { return data_[r * shape_[1] + c]; }

  // Changes the shape, keeping the data. The element count must not change.
  void Reshape(Shape shape);
  // Changes the shape, reusing the allocation when it is large enough.
  // Contents are unspecified afterwards.
  void Resize(Shape shape);
  void Fill(float v);

  // Rows [begin, end) of the first dimension, as a new tensor.
  Tensor Rows(int64_t begin, int64_t end) const;
  // Rows by index, as a new tensor.
  Tensor Gather(const std::vector<int64_t>& rows) const;
  // Elements per row: the product of all but the first dimension.
  int64_t row_size() const;

 private:
  Shape shape_;
  std::vector<float> data_;
};

// dst = rows [begin, end) of x, or with `order` rows order[begin..end) of
// x, shaped {end - begin} + sample_shape (the batches of Fit, Evaluate and
// the predictions). Rows taken through `order` are copied over the OpenMP
// team from 8,192 floats on (shuffled batches: random rows of a data set far
// larger than the caches, each copy waiting on memory), and the first cache
// lines of the rows order[end..end + (end - begin)) -- the next batch -- are
// prefetched, each by the thread that copies row i of a batch, so that its
// page walk and first misses overlap the step in between (Fit's shuffled
// batch 32 of Fashion-MNIST: the gather 17 -> 9 us per step on one thread,
// 9.5 -> 6 us on two). In a kKernelHalves step that splits the input
// columns (RunInputColumnHalves, engine/parallel.h) each of the two threads
// copies (and prefetches) its columns of every row instead.
void GatherRows(const Tensor& x, const std::vector<int64_t>* order,
                int64_t begin, int64_t end, const Shape& sample_shape,
                Tensor* dst);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_TENSOR_H_
