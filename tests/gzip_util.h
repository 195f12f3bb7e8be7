// Gzip for tests: compresses bytes into one gzip member (zlib, level 6), as
// gzip(1) and Python's gzip module write them.
#ifndef PROFUNDO_TESTS_GZIP_UTIL_H_
#define PROFUNDO_TESTS_GZIP_UTIL_H_

#include <zlib.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace profundo::testing {

inline std::string Gzip(const std::string& raw) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  EXPECT_EQ(
      deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&zs, raw.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace profundo::testing

#endif  // PROFUNDO_TESTS_GZIP_UTIL_H_
