// Hostile uploads (HostileInputTest, hostile_fixture.h): lying sizes and
// checksums, chunks out of order or for the wrong part, interrupted
// streams, NaN/Inf data and oversized datasets; none stores anything.
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/gzip_util.h"
#include "tests/service/hostile_fixture.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::ChunkMessage;
using ::profundo::server::testing::Header;
using ::profundo::server::testing::HostileCase;
using ::profundo::server::testing::Messages;
using ::profundo::server::testing::SendUpload;
using ::profundo::server::testing::Stream;
using ::profundo::server::testing::Synthetic;
using ::profundo::server::testing::Upload;
using ::profundo::server::testing::UploadPlan;
using ::profundo::testing::Gzip;

// IDX with element type float (0x0D), shape [rows, cols], big-endian.
std::string IdxFloats(int rows, int cols, const std::vector<float>& values) {
  std::string out;
  testing::PutBigEndian32(&out, 0x00000D02);
  testing::PutBigEndian32(&out, rows);
  testing::PutBigEndian32(&out, cols);
  for (float f : values) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    testing::PutBigEndian32(&out, bits);
  }
  return out;
}

std::string NpyFloats(int rows, int cols, const std::vector<float>& values) {
  std::string body(reinterpret_cast<const char*>(values.data()),
                   values.size() * sizeof(float));
  return Synthetic::Npy("<f4", absl::StrCat("(", rows, ", ", cols, ")"), body);
}

std::string NpyLabels(const std::vector<int64_t>& labels) {
  std::string body(reinterpret_cast<const char*>(labels.data()),
                   labels.size() * sizeof(int64_t));
  return Synthetic::Npy("<i8", absl::StrCat("(", labels.size(), ",)"), body);
}

TEST_F(HostileInputTest, LyingUploadsStoreNothing) {
  const std::string x = data_.IdxImages(), y = data_.IdxLabels();
  const std::string csv = data_.Csv();
  auto with_header = [&](std::function<void(v1::UploadHeader*)> edit) {
    Messages m = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
    edit(m[0].mutable_header());
    return SendUpload(stub_.get(), m);
  };
  Messages more_bytes = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  more_bytes.insert(more_bytes.begin() + 2, ChunkMessage(v1::DATASET_PART_FEATURES, "x"));
  Messages more_labels = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  more_labels.insert(more_labels.begin() + 3, ChunkMessage(v1::DATASET_PART_LABELS, "y"));
  Messages wrong_labels_crc = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  wrong_labels_crc.back().mutable_trailer()->set_labels_crc32(Crc32(y) ^ 0x80);
  Messages swapped = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  std::swap(swapped[1], swapped[2]);  // labels before features
  Messages csv_with_labels = Stream("lie", v1::DATA_FORMAT_CSV, csv, "");
  csv_with_labels.insert(csv_with_labels.begin() + 2,
                         ChunkMessage(v1::DATASET_PART_LABELS, ""));
  Messages unknown_part = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  unknown_part[1].mutable_chunk()->set_part(static_cast<v1::DatasetPart>(999));
  Messages chunk_first = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  std::swap(chunk_first[0], chunk_first[1]);
  Messages header_twice = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  header_twice.insert(header_twice.begin() + 1, header_twice[0]);
  Messages after_trailer = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  after_trailer.push_back(ChunkMessage(v1::DATASET_PART_LABELS, "late"));
  Messages empty_kind = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  empty_kind.insert(empty_kind.begin() + 1, v1::UploadDatasetRequest());

  const std::vector<HostileCase> cases = {
      {"more features bytes than declared",
       [&] { return SendUpload(stub_.get(), more_bytes); },
       absl::StatusCode::kInvalidArgument, "header.features_bytes"},
      {"more labels bytes than declared",
       [&] { return SendUpload(stub_.get(), more_labels); },
       absl::StatusCode::kInvalidArgument, "header.labels_bytes"},
      {"fewer bytes than declared",
       [&] { return with_header([](v1::UploadHeader* h) {
           h->set_features_bytes(h->features_bytes() + 1); }); },
       absl::StatusCode::kInvalidArgument, "header.features_bytes"},
      {"negative features_bytes",
       [&] { return with_header([](v1::UploadHeader* h) { h->set_features_bytes(-5); }); },
       absl::StatusCode::kInvalidArgument, "header.features_bytes"},
      {"negative labels_bytes",
       [&] { return with_header([](v1::UploadHeader* h) { h->set_labels_bytes(-5); }); },
       absl::StatusCode::kInvalidArgument, "header.labels_bytes"},
      {"sizes near 2^63 (no overflow)",
       [&] { return with_header([](v1::UploadHeader* h) {
           h->set_features_bytes(std::numeric_limits<int64_t>::max());
           h->set_labels_bytes(std::numeric_limits<int64_t>::max()); }); },
       absl::StatusCode::kResourceExhausted, "--max_upload_bytes"},
      {"labels size pushes the sum over the limit",
       [&] { return with_header([](v1::UploadHeader* h) {
           h->set_labels_bytes(std::numeric_limits<int64_t>::max() - 10); }); },
       absl::StatusCode::kResourceExhausted, "--max_upload_bytes"},
      {"wrong features CRC",
       [&] { UploadPlan plan; plan.crc_xor = 0xdeadbeef;
             return Upload(stub_.get(), Header("lie", v1::DATA_FORMAT_IDX, x, y), x, y, plan).status(); },
       absl::StatusCode::kInvalidArgument, "trailer.features_crc32"},
      {"wrong labels CRC",
       [&] { return SendUpload(stub_.get(), wrong_labels_crc); },
       absl::StatusCode::kInvalidArgument, "trailer.labels_crc32"},
      {"no trailer",
       [&] { UploadPlan plan; plan.send_trailer = false;
             return Upload(stub_.get(), Header("lie", v1::DATA_FORMAT_IDX, x, y), x, y, plan).status(); },
       absl::StatusCode::kInvalidArgument, "trailer"},
      {"labels chunk before the features",
       [&] { return SendUpload(stub_.get(), swapped); },
       absl::StatusCode::kInvalidArgument, "chunk.part"},
      {"labels chunk in a CSV upload",
       [&] { return SendUpload(stub_.get(), csv_with_labels); },
       absl::StatusCode::kInvalidArgument, "chunk.part"},
      {"unknown part enum 999",
       [&] { return SendUpload(stub_.get(), unknown_part); },
       absl::StatusCode::kInvalidArgument, "chunk.part"},
      {"unknown format enum 999",
       [&] { return with_header([](v1::UploadHeader* h) {
           h->set_format(static_cast<v1::DataFormat>(999)); }); },
       absl::StatusCode::kInvalidArgument, "header.format"},
      {"chunk before the header",
       [&] { return SendUpload(stub_.get(), chunk_first); },
       absl::StatusCode::kInvalidArgument, "header"},
      {"header twice",
       [&] { return SendUpload(stub_.get(), header_twice); },
       absl::StatusCode::kInvalidArgument, "header: sent twice"},
      {"message after the trailer",
       [&] { return SendUpload(stub_.get(), after_trailer); },
       absl::StatusCode::kInvalidArgument, "trailer"},
      {"message with no kind",
       [&] { return SendUpload(stub_.get(), empty_kind); },
       absl::StatusCode::kInvalidArgument, "kind"},
      {"empty stream",
       [&] { return SendUpload(stub_.get(), {}); },
       absl::StatusCode::kInvalidArgument, "header"},
      {"CSV declaring a labels part",
       [&] { Messages m = Stream("lie", v1::DATA_FORMAT_CSV, csv, "");
             m[0].mutable_header()->set_labels_bytes(3);
             return SendUpload(stub_.get(), m); },
       absl::StatusCode::kInvalidArgument, "header.labels_bytes"},
  };
  RunCases(cases);
}

TEST_F(HostileInputTest, InterruptedUploadsStoreNothing) {
  const std::string x = data_.IdxImages(), y = data_.IdxLabels();
  Messages stream = Stream("cut", v1::DATA_FORMAT_IDX, x, y);
  // Many small chunks, so the cut lands mid-part.
  Messages chunked = {stream[0]};
  for (size_t at = 0; at < x.size(); at += 64) {
    chunked.push_back(ChunkMessage(v1::DATASET_PART_FEATURES, x.substr(at, 64)));
  }
  chunked.push_back(stream[2]);
  chunked.push_back(stream[3]);
  const std::vector<HostileCase> cases = {
      {"cancelled after the header",
       [&] { return SendUpload(stub_.get(), chunked, 1); },
       absl::StatusCode::kCancelled, ""},
      {"cancelled mid-features",
       [&] { return SendUpload(stub_.get(), chunked, 10); },
       absl::StatusCode::kCancelled, ""},
      {"cancelled after every byte and the trailer (never closed)",
       [&] { return SendUpload(stub_.get(), chunked,
                               static_cast<int>(chunked.size())); },
       absl::StatusCode::kCancelled, ""},
      {"deadline passes mid-stream",
       [&] {
         grpc::ClientContext context;
         context.set_deadline(std::chrono::system_clock::now() +
                              std::chrono::milliseconds(300));
         v1::Dataset response;
         auto writer = stub_->UploadDataset(&context, &response);
         for (size_t i = 0; i < chunked.size(); ++i) {
           if (i == 3) std::this_thread::sleep_for(std::chrono::milliseconds(600));
           if (!writer->Write(chunked[i])) break;
         }
         writer->WritesDone();
         return FromGrpcStatus(writer->Finish());
       },
       absl::StatusCode::kDeadlineExceeded, ""},
  };
  RunCases(cases);
}

TEST_F(HostileInputTest, NonFiniteAndOversizedDataIsRefused) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  Synthetic two;
  two.rows = 2;
  const std::string idx_labels = two.IdxLabels();
  auto idx_x = [](float bad) { return IdxFloats(2, 2, {1, 2, bad, 4}); };
  const std::string npy_y = NpyLabels({0, 1});
  auto upload = [&](v1::DataFormat format, const std::string& f,
                    const std::string& l) {
    return SendUpload(stub_.get(), Stream("bad", format, f, l));
  };
  // 1001 rows of 1 feature; 101 features in 1 row.
  std::string many_rows = "f,label\n";
  for (int r = 0; r < 1001; ++r) absl::StrAppend(&many_rows, r, ",0\n");
  std::string wide;  // no header: 101 feature columns, then the label
  for (int c = 0; c < 101; ++c) absl::StrAppend(&wide, c, ",");
  absl::StrAppend(&wide, "0\n");
  // IDX shapes whose product would overflow int64 (and a zero dimension).
  std::string overflow;
  testing::PutBigEndian32(&overflow, 0x00000805);
  for (uint32_t d : {3u, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0u}) {
    testing::PutBigEndian32(&overflow, d);
  }
  std::string lying_rows;  // declares 2^32-1 rows of 4 bytes, has 4 bytes
  testing::PutBigEndian32(&lying_rows, 0x00000802);
  testing::PutBigEndian32(&lying_rows, 0xffffffffu);
  testing::PutBigEndian32(&lying_rows, 4);
  lying_rows += "abcd";
  // Gzip IDX: a header declaring 1000 x 300 ubyte (1.2 MB as float32) in a
  // few hundred bytes, and a gzip bomb: a 2x2 header then 16 MiB of zeros.
  std::string big_header;
  testing::PutBigEndian32(&big_header, 0x00000802);
  testing::PutBigEndian32(&big_header, 1000);
  testing::PutBigEndian32(&big_header, 300);
  const std::string gzip_big =
      Gzip(big_header + std::string(1000 * 300, '\0'));
  std::string small_header;
  testing::PutBigEndian32(&small_header, 0x00000802);
  testing::PutBigEndian32(&small_header, 2);
  testing::PutBigEndian32(&small_header, 2);
  const std::string gzip_bomb =
      Gzip(small_header + std::string(16 << 20, '\0'));
  std::string zero_width;
  testing::PutBigEndian32(&zero_width, 0x00000802);
  testing::PutBigEndian32(&zero_width, 2);
  testing::PutBigEndian32(&zero_width, 0);

  const std::vector<HostileCase> cases = {
      {"IDX float features with NaN",
       [&] { return upload(v1::DATA_FORMAT_IDX, idx_x(nan), idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: IDX data has a non-finite value"},
      {"IDX float features with Inf",
       [&] { return upload(v1::DATA_FORMAT_IDX, idx_x(-inf), idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: IDX data has a non-finite value"},
      {"NPY features with NaN",
       [&] { return upload(v1::DATA_FORMAT_NPY, NpyFloats(2, 2, {1, nan, 3, 4}), npy_y); },
       absl::StatusCode::kInvalidArgument, "features: npy data has a non-finite value"},
      {"NPY labels with Inf",
       [&] { return upload(v1::DATA_FORMAT_NPY, NpyFloats(2, 2, {1, 2, 3, 4}),
                           NpyFloats(2, 1, {0, inf})); },
       absl::StatusCode::kInvalidArgument, "labels: npy data has a non-finite value"},
      {"CSV cell nan",
       [&] { return upload(v1::DATA_FORMAT_CSV, "a,b,label\n1,nan,0\n", ""); },
       absl::StatusCode::kInvalidArgument, "features: line 2, column 2 (b)"},
      {"CSV cell inf",
       [&] { return upload(v1::DATA_FORMAT_CSV, "a,b,label\n1,-inf,0\n", ""); },
       absl::StatusCode::kInvalidArgument, "features: line 2, column 2 (b)"},
      {"CSV cell beyond float range",
       [&] { return upload(v1::DATA_FORMAT_CSV, "a,b,label\n1,1e39,0\n", ""); },
       absl::StatusCode::kInvalidArgument, "features: line 2, column 2 (b)"},
      {"negative class label",
       [&] { return upload(v1::DATA_FORMAT_NPY, NpyFloats(2, 2, {1, 2, 3, 4}),
                           NpyLabels({0, -1})); },
       absl::StatusCode::kInvalidArgument, "labels: row 1"},
      {"rows beyond --max_dataset_rows",
       [&] { return upload(v1::DATA_FORMAT_CSV, many_rows, ""); },
       absl::StatusCode::kResourceExhausted,
       "features: rows is 1001; the server's --max_dataset_rows is 1000"},
      {"features beyond --max_features",
       [&] { return upload(v1::DATA_FORMAT_CSV, wide, ""); },
       absl::StatusCode::kResourceExhausted, "the server's --max_features is 100"},
      {"IDX shape whose product overflows int64",
       [&] { return upload(v1::DATA_FORMAT_IDX, overflow, idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: each row has 0 values"},
      {"IDX header declaring more rows than sent",
       [&] { return upload(v1::DATA_FORMAT_IDX, lying_rows, idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: IDX: truncated data"},
      {"gzip IDX declaring more than --max_dataset_bytes",
       [&] { return upload(v1::DATA_FORMAT_IDX, gzip_big, idx_labels); },
       absl::StatusCode::kResourceExhausted,
       "features and labels: decoded size in bytes is 1200000; the server's "
       "--max_dataset_bytes is 1048576"},
      {"gzip IDX bomb inflating past its header",
       [&] { return upload(v1::DATA_FORMAT_IDX, gzip_bomb, idx_labels); },
       absl::StatusCode::kInvalidArgument,
       "features: IDX: the gzip data decompresses to more than the 16 bytes "
       "its header declares ([2, 2] ubyte)"},
      {"IDX rows of zero values",
       [&] { return upload(v1::DATA_FORMAT_IDX, zero_width, idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: each row has 0 values"},
  };
  RunCases(cases);
}

}  // namespace
}  // namespace profundo::server
