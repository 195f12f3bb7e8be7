// TensorBoard: Keras's epoch_* tags go to log_dir/train and
// log_dir/validation, step = epoch, values as floats; an epoch without
// validation writes nothing to validation/.
#include "engine/callbacks/tensorboard.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace profundo {
namespace {

std::string TempDir() {
  return (std::filesystem::temp_directory_path() /
          ("profundo_tensorboard_cb_" + std::to_string(getpid())))
      .string();
}

std::vector<ScalarEvent> MustRead(const std::string& path) {
  absl::StatusOr<std::vector<ScalarEvent>> events = ReadScalarEvents(path);
  EXPECT_TRUE(events.ok()) << events.status();
  return events.ok() ? *events : std::vector<ScalarEvent>{};
}

TEST(TensorBoardTest, WritesKerasEpochTagsPerSplit) {
  const std::string dir = TempDir();
  std::filesystem::remove_all(dir);
  absl::StatusOr<std::unique_ptr<TensorBoard>> tb = TensorBoard::Create(dir);
  ASSERT_TRUE(tb.ok()) << tb.status();
  EXPECT_EQ(std::filesystem::path((*tb)->train_path()).parent_path(),
            std::filesystem::path(dir) / "train");
  EXPECT_EQ(std::filesystem::path((*tb)->validation_path()).parent_path(),
            std::filesystem::path(dir) / "validation");

  EpochLogs first;
  first.epoch = 0;
  first.loss = 1.25;
  first.accuracy = 0.5;
  first.lr = 0.1;
  ASSERT_TRUE((*tb)->OnEpochEnd(first).ok());
  // Flushed: readable while the writer is open.
  EXPECT_EQ(MustRead((*tb)->train_path()).size(), 3u);
  EXPECT_TRUE(MustRead((*tb)->validation_path()).empty());

  EpochLogs second;
  second.epoch = 1;
  second.loss = 0.75;
  second.accuracy = 0.625;
  second.lr = 0.05;
  second.val_loss = 0.875;
  second.val_accuracy = 0.375;
  ASSERT_TRUE((*tb)->OnEpochEnd(second).ok());

  const std::vector<ScalarEvent> train = MustRead((*tb)->train_path());
  ASSERT_EQ(train.size(), 6u);
  const char* tags[] = {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"};
  const float want[2][3] = {{1.25f, 0.5f, 0.1f}, {0.75f, 0.625f, 0.05f}};
  for (int e = 0; e < 2; ++e) {
    for (int t = 0; t < 3; ++t) {
      const ScalarEvent& s = train[e * 3 + t];
      EXPECT_EQ(s.step, e);
      EXPECT_EQ(s.tag, tags[t]);
      EXPECT_EQ(s.value, want[e][t]);
    }
  }
  const std::vector<ScalarEvent> val = MustRead((*tb)->validation_path());
  ASSERT_EQ(val.size(), 2u);
  EXPECT_EQ(val[0].step, 1);
  EXPECT_EQ(val[0].tag, "epoch_loss");
  EXPECT_EQ(val[0].value, 0.875f);
  EXPECT_EQ(val[1].step, 1);
  EXPECT_EQ(val[1].tag, "epoch_accuracy");
  EXPECT_EQ(val[1].value, 0.375f);
  std::filesystem::remove_all(dir);
}

TEST(TensorBoardTest, CreateFailsWhereNoDirectoryCanBe) {
  const std::string dir = TempDir() + "_file";
  std::ofstream(dir) << "a file";
  absl::StatusOr<std::unique_ptr<TensorBoard>> tb = TensorBoard::Create(dir);
  EXPECT_FALSE(tb.ok());
  std::filesystem::remove(dir);
}

}  // namespace
}  // namespace profundo
