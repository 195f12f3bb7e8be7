// Readers for the IDX format (MNIST, Fashion-MNIST), raw or gzip-compressed
// (detected by the gzip magic, not the file name).
//
// Example:
//   auto train = ReadIdxDataset(
//       "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
//       "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
//   // train->x: [60000, 28, 28] floats 0..255; train->y: [60000] 0..9.
#ifndef PROFUNDO_ENGINE_DATASETS_IDX_H_
#define PROFUNDO_ENGINE_DATASETS_IDX_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/datasets/dataset.h"
#include "engine/tensor.h"

namespace profundo {

// Decodes IDX bytes (already decompressed or gzip): any of the element types
// ubyte, byte, short, int, float, double, converted to float, with the
// shape from the header. INVALID_ARGUMENT on a bad magic, truncated data or
// trailing bytes.
absl::StatusOr<Tensor> ParseIdx(std::string_view bytes);
// Reads a file and parses it. NOT_FOUND if it cannot be opened.
absl::StatusOr<Tensor> ReadIdxFile(const std::string& path);
// Images and labels; INVALID_ARGUMENT if their counts differ.
absl::StatusOr<Dataset> ReadIdxDataset(const std::string& images_path,
                                       const std::string& labels_path);

// Decompresses gzip data; returns the input unchanged if it is not gzip.
absl::StatusOr<std::string> MaybeGunzip(std::string_view bytes);
// Reads a whole file.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_DATASETS_IDX_H_
