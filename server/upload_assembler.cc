#include "server/upload_assembler.h"

#include <zlib.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/status_macros.h"
#include "server/ids.h"

namespace profundo::server {
namespace {

constexpr int64_t kMaxReserveBytes = int64_t{16} << 20;

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

}  // namespace

uint32_t Crc32(const std::string& data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const Bytef* p = reinterpret_cast<const Bytef*>(data.data());
  size_t left = data.size();
  while (left > 0) {  // crc32 takes a uInt length
    uInt n = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    crc = crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<uint32_t>(crc);
}

UploadAssembler::UploadAssembler(int64_t max_upload_bytes)
    : max_upload_bytes_(max_upload_bytes) {}

absl::Status UploadAssembler::Add(const v1::UploadDatasetRequest& message) {
  if (have_trailer_) {
    return Invalid("trailer: no message may follow the trailer");
  }
  switch (message.kind_case()) {
    case v1::UploadDatasetRequest::kHeader:
      return AddHeader(message.header());
    case v1::UploadDatasetRequest::kChunk:
      if (!have_header_) return Invalid("header: the first message must be the header");
      return AddChunk(message.chunk());
    case v1::UploadDatasetRequest::kTrailer:
      if (!have_header_) return Invalid("header: the first message must be the header");
      have_trailer_ = true;
      trailer_ = message.trailer();
      return absl::OkStatus();
    case v1::UploadDatasetRequest::KIND_NOT_SET:
      break;
  }
  return Invalid("kind: each message must hold a header, a chunk or a trailer");
}

absl::Status UploadAssembler::AddHeader(const v1::UploadHeader& header) {
  if (have_header_) return Invalid("header: sent twice");
  PROFUNDO_RETURN_IF_ERROR(
      ValidateName(header.name(), "header.name", /*required=*/true));
  const bool csv = header.format() == v1::DATA_FORMAT_CSV;
  if (header.format() != v1::DATA_FORMAT_IDX && !csv &&
      header.format() != v1::DATA_FORMAT_NPY) {
    return Invalid(
        "header.format must be DATA_FORMAT_IDX, DATA_FORMAT_CSV or "
        "DATA_FORMAT_NPY");
  }
  if (header.features_bytes() <= 0) {
    return Invalid("header.features_bytes must be > 0 (empty dataset)");
  }
  if (csv && header.labels_bytes() != 0) {
    return Invalid(
        "header.labels_bytes must be 0 for CSV (the labels are a column)");
  }
  if (!csv && header.labels_bytes() <= 0) {
    return Invalid(absl::StrCat(
        "header.labels_bytes must be > 0 for ",
        v1::DataFormat_Name(header.format()), " (a separate labels part)"));
  }
  // Both are > 0 here (>= 0 for CSV labels): compared without adding, so
  // lying sizes near 2^63 cannot overflow.
  if (header.features_bytes() > max_upload_bytes_ ||
      header.labels_bytes() > max_upload_bytes_ - header.features_bytes()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "header: features_bytes (", header.features_bytes(),
        ") + labels_bytes (", header.labels_bytes(),
        ") exceed the server's limit of ", max_upload_bytes_,
        " bytes (--max_upload_bytes)"));
  }
  have_header_ = true;
  data_.header = header;
  // A header may lie: reserve no more than a few chunks' worth up front,
  // so streams that declare much and send little cost little.
  data_.features.reserve(std::min(header.features_bytes(), kMaxReserveBytes));
  data_.labels.reserve(std::min(header.labels_bytes(), kMaxReserveBytes));
  return absl::OkStatus();
}

absl::Status UploadAssembler::AddChunk(const v1::UploadChunk& chunk) {
  std::string* part;
  int64_t declared;
  absl::string_view name;
  switch (chunk.part()) {
    case v1::DATASET_PART_FEATURES:
      if (labels_started_) {
        return Invalid(
            "chunk.part: every features chunk must come before the labels "
            "chunks");
      }
      part = &data_.features;
      declared = data_.header.features_bytes();
      name = "features";
      break;
    case v1::DATASET_PART_LABELS:
      if (data_.header.format() == v1::DATA_FORMAT_CSV) {
        return Invalid("chunk.part: a CSV upload has no labels part");
      }
      labels_started_ = true;
      part = &data_.labels;
      declared = data_.header.labels_bytes();
      name = "labels";
      break;
    default:
      return Invalid(
          "chunk.part must be DATASET_PART_FEATURES or DATASET_PART_LABELS");
  }
  if (static_cast<int64_t>(part->size() + chunk.data().size()) > declared) {
    return Invalid(absl::StrCat("chunk: more ", name, " bytes than header.",
                                name, "_bytes (", declared, ")"));
  }
  part->append(chunk.data());
  return absl::OkStatus();
}

absl::StatusOr<UploadedData> UploadAssembler::Finish() {
  if (!have_header_) return Invalid("header: the stream is empty");
  struct Part {
    absl::string_view name;
    const std::string& bytes;
    int64_t declared;
    uint32_t crc;
  };
  const Part parts[] = {
      {"features", data_.features, data_.header.features_bytes(),
       trailer_.features_crc32()},
      {"labels", data_.labels, data_.header.labels_bytes(),
       trailer_.labels_crc32()},
  };
  for (const Part& p : parts) {
    if (static_cast<int64_t>(p.bytes.size()) != p.declared) {
      return Invalid(absl::StrCat("truncated upload: got ", p.bytes.size(),
                                  " of header.", p.name, "_bytes = ",
                                  p.declared, " bytes"));
    }
  }
  if (!have_trailer_) {
    return Invalid("trailer: missing (truncated upload)");
  }
  for (const Part& p : parts) {
    if (p.declared == 0) continue;
    uint32_t actual = Crc32(p.bytes);
    if (actual != p.crc) {
      return Invalid(absl::StrFormat(
          "trailer.%s_crc32 0x%08x does not match the received %s bytes "
          "(CRC-32 0x%08x)",
          p.name, p.crc, p.name, actual));
    }
  }
  return std::move(data_);
}

}  // namespace profundo::server
