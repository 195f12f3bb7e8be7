// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord framing
// uses it, and TFRecord's masking of stored CRCs. Table-driven; thread-safe.
//
// Example:
//   uint32_t c = Crc32c("123456789", 9);  // 0xE3069283
#ifndef PROFUNDO_ENGINE_TENSORBOARD_CRC32C_H_
#define PROFUNDO_ENGINE_TENSORBOARD_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace profundo {

// CRC-32C of `n` bytes, continuing from `crc` (the CRC of earlier bytes).
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

// TFRecord's mask: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
inline uint32_t MaskCrc32c(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
inline uint32_t UnmaskCrc32c(uint32_t masked) {
  const uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_TENSORBOARD_CRC32C_H_
