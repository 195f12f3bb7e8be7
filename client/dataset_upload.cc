#include "client/dataset_upload.h"

#include <fstream>
#include <system_error>
#include <utility>
#include <vector>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace profundo {

UploadSource UploadSource::FromBytes(std::string bytes) {
  UploadSource s;
  s.bytes_or_path_ = std::move(bytes);
  return s;
}

UploadSource UploadSource::FromFile(std::string path) {
  UploadSource s;
  s.is_file_ = true;
  s.bytes_or_path_ = std::move(path);
  return s;
}

absl::StatusOr<int64_t> UploadSource::Size() const {
  if (!is_file_) return static_cast<int64_t>(bytes_or_path_.size());
  std::error_code ec;
  const auto size = std::filesystem::file_size(bytes_or_path_, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat(bytes_or_path_, ": ", ec.message()));
  }
  return static_cast<int64_t>(size);
}

absl::Status UploadSource::ForEachChunk(
    size_t chunk_bytes,
    const std::function<absl::Status(absl::string_view)>& fn) const {
  if (chunk_bytes == 0) return absl::InvalidArgumentError("chunk_bytes is 0");
  if (!is_file_) {
    absl::string_view rest = bytes_or_path_;
    while (!rest.empty()) {
      const size_t n = std::min(chunk_bytes, rest.size());
      absl::Status s = fn(rest.substr(0, n));
      if (!s.ok()) return s;
      rest.remove_prefix(n);
    }
    return absl::OkStatus();
  }
  std::ifstream in(bytes_or_path_, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(bytes_or_path_, ": cannot open"));
  std::vector<char> buffer(chunk_bytes);
  while (true) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) {
      absl::Status s = fn(absl::string_view(buffer.data(), static_cast<size_t>(got)));
      if (!s.ok()) return s;
    }
    if (in.eof()) return absl::OkStatus();
    if (!in) {
      return absl::DataLossError(absl::StrCat(bytes_or_path_, ": read error"));
    }
  }
}

std::string UploadSource::Describe() const {
  if (is_file_) return absl::StrCat("file ", bytes_or_path_);
  return absl::StrCat(bytes_or_path_.size(), " bytes in memory");
}

}  // namespace profundo
