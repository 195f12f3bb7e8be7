// UploadAssembler: the stream protocol (header, ordered chunks, trailer with
// CRC-32s) and its field-naming errors, without a server.
#include "server/upload_assembler.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::ChunkMessage;
using ::testing::HasSubstr;

v1::UploadDatasetRequest HeaderMessage(v1::DataFormat format, int64_t features,
                                       int64_t labels) {
  v1::UploadDatasetRequest m;
  m.mutable_header()->set_name("d");
  m.mutable_header()->set_format(format);
  m.mutable_header()->set_features_bytes(features);
  m.mutable_header()->set_labels_bytes(labels);
  return m;
}

v1::UploadDatasetRequest Trailer(uint32_t features, uint32_t labels) {
  v1::UploadDatasetRequest m;
  m.mutable_trailer()->set_features_crc32(features);
  m.mutable_trailer()->set_labels_crc32(labels);
  return m;
}

void ExpectError(const absl::Status& s, absl::StatusCode code,
                 const std::string& field) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(field));
}

TEST(UploadAssemblerTest, Crc32IsZlibs) {
  // zlib.crc32(b"123456789") == 0xCBF43926, the standard check value.
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
}

TEST(UploadAssemblerTest, ReassemblesPartsFromChunks) {
  UploadAssembler a(1000);
  ASSERT_TRUE(a.Add(HeaderMessage(v1::DATA_FORMAT_IDX, 6, 3)).ok());
  ASSERT_TRUE(a.Add(ChunkMessage(v1::DATASET_PART_FEATURES, "abc")).ok());
  ASSERT_TRUE(a.Add(ChunkMessage(v1::DATASET_PART_FEATURES, "def")).ok());
  ASSERT_TRUE(a.Add(ChunkMessage(v1::DATASET_PART_LABELS, "xyz")).ok());
  ASSERT_TRUE(a.Add(Trailer(Crc32("abcdef"), Crc32("xyz"))).ok());
  absl::StatusOr<UploadedData> data = a.Finish();
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->features, "abcdef");
  EXPECT_EQ(data->labels, "xyz");
  EXPECT_EQ(data->header.name(), "d");
}

TEST(UploadAssemblerTest, HeaderErrors) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  {
    UploadAssembler a(1000);
    ExpectError(a.Add(ChunkMessage(v1::DATASET_PART_FEATURES, "x")), kInvalid,
                "header: the first message");
  }
  {
    UploadAssembler a(1000);
    v1::UploadDatasetRequest m = HeaderMessage(v1::DATA_FORMAT_IDX, 6, 3);
    m.mutable_header()->clear_name();
    ExpectError(a.Add(m), kInvalid, "header.name");
  }
  {
    UploadAssembler a(1000);
    ExpectError(a.Add(HeaderMessage(v1::DATA_FORMAT_CSV, 6, 3)), kInvalid,
                "header.labels_bytes must be 0 for CSV");
  }
  {
    UploadAssembler a(1000);
    ExpectError(a.Add(HeaderMessage(v1::DATA_FORMAT_NPY, 6, 0)), kInvalid,
                "header.labels_bytes must be > 0");
  }
  {
    UploadAssembler a(1000);
    ExpectError(a.Add(HeaderMessage(v1::DATA_FORMAT_IDX, 998, 3)),
                absl::StatusCode::kResourceExhausted, "max_upload_bytes");
  }
  {
    UploadAssembler a(1000);
    ASSERT_TRUE(a.Add(HeaderMessage(v1::DATA_FORMAT_IDX, 6, 3)).ok());
    ExpectError(a.Add(HeaderMessage(v1::DATA_FORMAT_IDX, 6, 3)), kInvalid,
                "header: sent twice");
  }
  {
    UploadAssembler a(1000);
    ExpectError(a.Finish().status(), kInvalid, "header: the stream is empty");
  }
}

TEST(UploadAssemblerTest, ChunkAndTrailerErrors) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  auto started = [] {
    auto a = std::make_unique<UploadAssembler>(1000);
    EXPECT_TRUE(a->Add(HeaderMessage(v1::DATA_FORMAT_IDX, 6, 3)).ok());
    return a;
  };
  {
    auto a = started();
    ExpectError(a->Add(ChunkMessage(v1::DATASET_PART_FEATURES, "abcdefg")), kInvalid,
                "more features bytes than header.features_bytes (6)");
  }
  {
    auto a = started();
    ASSERT_TRUE(a->Add(ChunkMessage(v1::DATASET_PART_LABELS, "x")).ok());
    ExpectError(a->Add(ChunkMessage(v1::DATASET_PART_FEATURES, "a")), kInvalid,
                "chunk.part: every features chunk must come before");
  }
  {
    auto a = started();
    ExpectError(a->Add(ChunkMessage(v1::DATASET_PART_UNSPECIFIED, "a")), kInvalid,
                "chunk.part must be");
  }
  {
    auto a = started();
    ASSERT_TRUE(a->Add(ChunkMessage(v1::DATASET_PART_FEATURES, "abcdef")).ok());
    ASSERT_TRUE(a->Add(ChunkMessage(v1::DATASET_PART_LABELS, "xy")).ok());
    ExpectError(a->Finish().status(), kInvalid,
                "truncated upload: got 2 of header.labels_bytes = 3");
  }
  {
    auto a = started();
    ASSERT_TRUE(a->Add(ChunkMessage(v1::DATASET_PART_FEATURES, "abcdef")).ok());
    ASSERT_TRUE(a->Add(ChunkMessage(v1::DATASET_PART_LABELS, "xyz")).ok());
    ExpectError(a->Finish().status(), kInvalid, "trailer: missing");
  }
  {
    auto a = started();
    ASSERT_TRUE(a->Add(ChunkMessage(v1::DATASET_PART_FEATURES, "abcdef")).ok());
    ASSERT_TRUE(a->Add(ChunkMessage(v1::DATASET_PART_LABELS, "xyz")).ok());
    ASSERT_TRUE(a->Add(Trailer(Crc32("abcdef"), Crc32("xyZ"))).ok());
    ExpectError(a->Finish().status(), kInvalid, "trailer.labels_crc32");
  }
  {
    auto a = started();
    ASSERT_TRUE(a->Add(Trailer(0, 0)).ok());
    ExpectError(a->Add(ChunkMessage(v1::DATASET_PART_FEATURES, "a")), kInvalid,
                "no message may follow the trailer");
  }
  {
    auto a = started();
    ExpectError(a->Add(v1::UploadDatasetRequest()), kInvalid, "kind");
  }
}

}  // namespace
}  // namespace profundo::server
