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

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/datasets/dataset.h"
#include "engine/tensor.h"

namespace profundo {

// The header of an IDX file: element type and declared shape.
struct IdxHeader {
  uint8_t type_code = 0;          // 0x08 ubyte ... 0x0E double
  const char* type_name = "";     // "ubyte", ...
  int element_bytes = 0;          // 1, 2, 4 or 8
  uint64_t header_bytes = 0;      // 4 + 4 * rank
  Shape shape;                    // as declared; not yet checked against data
  // Elements the shape declares (saturates at 2^64 - 1).
  uint64_t ElementCount() const;
  // Decompressed size the header declares: header + elements (saturates).
  uint64_t DataBytes() const;
};

// Reads only the header of IDX bytes, raw or gzip (inflating no more than
// the header's 1,024 bytes at most): lets a caller check the declared size
// before ParseIdx allocates it. INVALID_ARGUMENT as ParseIdx.
absl::StatusOr<IdxHeader> ReadIdxHeader(std::string_view bytes);

// Decodes IDX bytes (already decompressed or gzip): any of the element types
// ubyte, byte, short, int, float, double, converted to float, with the
// shape from the header. INVALID_ARGUMENT on a bad magic, truncated data or
// trailing bytes. Gzip data is inflated only up to the size its header
// declares (and never beyond 2 GiB).
absl::StatusOr<Tensor> ParseIdx(std::string_view bytes);
// Reads a file and parses it. NOT_FOUND if it cannot be opened.
absl::StatusOr<Tensor> ReadIdxFile(const std::string& path);
// Images and labels; INVALID_ARGUMENT if their counts differ.
absl::StatusOr<Dataset> ReadIdxDataset(const std::string& images_path,
                                       const std::string& labels_path);

// True if `bytes` start with the gzip magic (1f 8b).
bool IsGzip(std::string_view bytes);
// Decompresses gzip data; returns the input unchanged if it is not gzip.
absl::StatusOr<std::string> MaybeGunzip(std::string_view bytes);
// Reads a whole file.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_DATASETS_IDX_H_
