// TensorBoard event files: CRC-32C vectors, record framing, write/read back.
#include "engine/tensorboard/event_file.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/tensorboard/crc32c.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  const std::string ones(32, '\xff');
  EXPECT_EQ(Crc32c(ones.data(), ones.size()), 0x62A8AB43u);  // RFC 3720
  EXPECT_EQ(Crc32c("", 0), 0u);
  // Continuing a CRC equals one pass.
  EXPECT_EQ(Crc32c("6789", 4, Crc32c("12345", 5)), 0xE3069283u);
}

TEST(Crc32cTest, MaskRoundTrips) {
  for (uint32_t c : {0u, 1u, 0xE3069283u, 0xffffffffu}) {
    EXPECT_EQ(UnmaskCrc32c(MaskCrc32c(c)), c);
  }
  EXPECT_EQ(MaskCrc32c(0), 0xa282ead8u);
}

TEST(EventFileTest, EncodesTensorFlowFieldNumbers) {
  // Event{wall_time=1 (0x09 + 8 bytes), step=2 (0x10 3),
  //       summary=5 {value=1 {tag=1 "a", simple_value=2 (0x15) 1.0f}}}
  const std::string e = EncodeScalarEvent(0.0, 3, "a", 1.0f);
  const std::string want(
      "\x09\0\0\0\0\0\0\0\0"
      "\x10\x03"
      "\x2a\x0a"
      "\x0a\x08"
      "\x0a\x01"
      "a"
      "\x15\x00\x00\x80\x3f",
      23);
  EXPECT_EQ(e, want);
  const std::string v = EncodeFileVersionEvent(0.0);
  EXPECT_EQ(v.substr(9), std::string("\x1a\x0d") + "brain.Event:2");
}

TEST(EventFileTest, FramesRecordsAsTfRecord) {
  const std::string r = FrameRecord("abc");
  ASSERT_EQ(r.size(), 8u + 4 + 3 + 4);
  EXPECT_EQ(r.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  uint32_t len_crc, data_crc;
  std::memcpy(&len_crc, r.data() + 8, 4);
  std::memcpy(&data_crc, r.data() + 15, 4);
  EXPECT_EQ(len_crc, MaskCrc32c(Crc32c(r.data(), 8)));
  EXPECT_EQ(data_crc, MaskCrc32c(Crc32c("abc", 3)));
}

std::string TempDir() {
  const char* t = std::getenv("TMPDIR");
  return std::string(t ? t : "/tmp") + "/profundo_tb_" +
         std::to_string(getpid());
}

TEST(EventFileTest, WritesAndReadsBackScalars) {
  const std::string dir = TempDir() + "/train";
  std::string path;
  {
    auto w = EventFileWriter::Create(dir);
    ASSERT_TRUE(w.ok()) << w.status();
    path = (*w)->path();
    EXPECT_NE(path.find("/events.out.tfevents."), std::string::npos);
    for (int step = 0; step < 3; ++step) {
      ASSERT_TRUE(
          (*w)->AddScalar("epoch_loss", step, 1.0f / (step + 1), 100 + step)
              .ok());
      ASSERT_TRUE(
          (*w)->AddScalar("epoch_accuracy", step, 0.5f + 0.1f * step).ok());
    }
    ASSERT_TRUE((*w)->AddScalar("big_step", int64_t{1} << 40, -2.5f).ok());
    ASSERT_TRUE((*w)->Flush().ok());
  }
  auto events = ReadScalarEvents(path);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 7u);  // the file_version event has no scalar
  EXPECT_EQ((*events)[0].tag, "epoch_loss");
  EXPECT_EQ((*events)[0].step, 0);
  EXPECT_FLOAT_EQ((*events)[0].value, 1.0f);
  EXPECT_DOUBLE_EQ((*events)[0].wall_time, 100);
  EXPECT_EQ((*events)[3].tag, "epoch_accuracy");
  EXPECT_EQ((*events)[3].step, 1);
  EXPECT_FLOAT_EQ((*events)[3].value, 0.6f);
  EXPECT_GT((*events)[3].wall_time, 1.6e9);
  EXPECT_EQ((*events)[4].tag, "epoch_loss");
  EXPECT_FLOAT_EQ((*events)[4].value, 1.0f / 3);
  EXPECT_EQ((*events)[6].step, int64_t{1} << 40);
  EXPECT_FLOAT_EQ((*events)[6].value, -2.5f);

  // A flipped byte in the data is caught by the CRC.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    bytes = ss.str();
  }
  bytes[bytes.size() - 6] ^= 0x40;
  const std::string bad = path + ".bad";
  {
    std::ofstream out(bad, std::ios::binary);
    out << bytes;
  }
  EXPECT_EQ(ReadScalarEvents(bad).status().code(), absl::StatusCode::kDataLoss);
  // So is a truncated file.
  {
    std::ofstream out(bad, std::ios::binary | std::ios::trunc);
    out << bytes.substr(0, bytes.size() - 2);
  }
  EXPECT_EQ(ReadScalarEvents(bad).status().code(), absl::StatusCode::kDataLoss);
  std::filesystem::remove_all(TempDir());
}

}  // namespace
}  // namespace profundo
