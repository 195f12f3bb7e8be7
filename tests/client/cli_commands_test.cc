// The CLI's commands against the fake service (fake_profundo_service.h):
// exact text of tables, watch progress and predictions, and errors.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_split.h"
#include "client/cli/commands.h"
#include "client/cli/flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_profundo_service.h"

namespace profundo::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CliCommandsTest : public ::testing::Test {
 protected:
  CliCommandsTest() : client_(server_.Channel(), Options()) {}

  static ClientOptions Options() {
    ClientOptions options;
    options.watch_reconnect_backoff = absl::Milliseconds(1);
    return options;
  }

  absl::Status Run(CommandFn fn, std::vector<std::string> args,
                   bool json = false) {
    out_.str("");
    CommandContext ctx;
    ctx.client = &client_;
    ctx.json = json;
    ctx.tty = false;
    ctx.out = &out_;
    ctx.args = std::move(args);
    return fn(ctx);
  }

  std::string TempFile(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  absl::FlagSaver flags_;  // every test starts from the flags' defaults
  fake::FakeServer server_;
  Client client_;
  std::ostringstream out_;
};

TEST_F(CliCommandsTest, DatasetsTable) {
  ASSERT_EQ(Run(RunListDatasets, {}), absl::OkStatus());
  EXPECT_EQ(out_.str(),
            "ID     NAME     FORMAT   ROWS  FEATURES  CLASSES      SIZE  CREATED\n"
            "ds-1   fashion  IDX     60000  28x28          10  30.0 MiB  2027-01-15 08:00:00\n"
            "ds-22  iris     CSV       150  4               3   2.5 KiB  -\n"
            "More: --page_token=p2\n");
  absl::SetFlag(&FLAGS_page_token, "p2");
  ASSERT_EQ(Run(RunListDatasets, {}), absl::OkStatus());
  EXPECT_THAT(out_.str(), Not(HasSubstr("More:")));
}

TEST_F(CliCommandsTest, DatasetsJsonUsesSnakeCase) {
  ASSERT_EQ(Run(RunListDatasets, {}, /*json=*/true), absl::OkStatus());
  EXPECT_THAT(out_.str(), HasSubstr("\"next_page_token\": \"p2\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"num_classes\": \"10\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"format\": \"DATA_FORMAT_IDX\""));
}

TEST_F(CliCommandsTest, UploadCsv) {
  absl::SetFlag(&FLAGS_name, "table");
  absl::SetFlag(&FLAGS_csv, TempFile("cli_upload.csv", "a,label\n1,0\n"));
  ASSERT_EQ(Run(RunUpload, {}), absl::OkStatus());
  EXPECT_EQ(out_.str(),
            "Uploaded ds-1 (table): CSV, 0 rows, features scalar, 0 classes, "
            "12 B\n");
  EXPECT_EQ(server_.service().features(), "a,label\n1,0\n");
}

TEST_F(CliCommandsTest, UploadNeedsOneSource) {
  absl::SetFlag(&FLAGS_name, "x");
  absl::Status s = Run(RunUpload, {});
  EXPECT_EQ(s.message(), "upload needs exactly one of --images (IDX), --csv or --npy");
  EXPECT_TRUE(IsUsageError(s));
  absl::SetFlag(&FLAGS_images, "a.idx");
  s = Run(RunUpload, {});
  EXPECT_EQ(s.message(), "upload --images needs --labels");
}

TEST_F(CliCommandsTest, WatchPrintsKerasEpochLinesThenOutcome) {
  ASSERT_EQ(Run(RunWatch, {"flaky"}), absl::OkStatus());
  EXPECT_EQ(out_.str(),
            "Epoch 1/1\n"
            "2/2 [==============================] - 4s 2s/step - loss: 0.5000 - "
            "accuracy: 0.7500 - val_loss: 0.6250 - val_accuracy: 0.7000\n"
            "Job flaky SUCCEEDED: model m-1 version 1\n");
}

TEST_F(CliCommandsTest, WatchJsonPrintsOneEventPerLine) {
  ASSERT_EQ(Run(RunWatch, {"flaky"}, /*json=*/true), absl::OkStatus());
  std::vector<std::string> lines =
      absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 6u);  // 5 events + the final job
  EXPECT_THAT(lines[0], StartsWith("{\"seq\":\"1\""));
  EXPECT_THAT(lines[3], HasSubstr("\"val_loss\":0.625"));
  EXPECT_THAT(lines[5], HasSubstr("\"state\":\"JOB_STATE_SUCCEEDED\""));
}

TEST_F(CliCommandsTest, WatchUnknownJobIsNotFound) {
  EXPECT_EQ(Run(RunWatch, {"nope"}), absl::NotFoundError("job nope not found"));
  EXPECT_EQ(Run(RunCancel, {"job-1"}),
            absl::FailedPreconditionError("job job-1 has finished"));
  absl::Status s = Run(RunCancel, {});
  EXPECT_EQ(s.message(), "expected a job id, got 0 arguments");
  EXPECT_TRUE(IsUsageError(s));
}

TEST_F(CliCommandsTest, GetJobShowsHistoryWithEpochTimes) {
  ASSERT_EQ(Run(RunGetJob, {"resumed"}), absl::OkStatus());
  EXPECT_THAT(out_.str(), StartsWith("resumed SUCCEEDED\n  dataset:  ds-1\n"));
  EXPECT_THAT(out_.str(), HasSubstr("  restarts: 1\n"));
  // Epoch 1 was recorded without a time.
  EXPECT_THAT(
      out_.str(),
      HasSubstr("EPOCH    LOSS  ACCURACY  VAL_LOSS  VAL_ACCURACY     LR   TIME\n"
                "    1  0.5000    0.7500         -             -  0.001      -\n"
                "    2  0.3750    0.8750    0.4375             -  0.001  12.3s\n"));
}

TEST_F(CliCommandsTest, PredictMcWithFashionNamesAndLabels) {
  absl::SetFlag(&FLAGS_input, TempFile("cli_x.csv", "a,b\n3,0\n12,1\n"));
  absl::SetFlag(&FLAGS_labels, TempFile("cli_y.csv", "label\n3\n5\n"));
  absl::SetFlag(&FLAGS_count, 0);
  absl::SetFlag(&FLAGS_mc_samples, 10);
  absl::SetFlag(&FLAGS_class_names, "fashion");
  ASSERT_EQ(Run(RunPredict, {"m-f"}), absl::OkStatus());
  EXPECT_EQ(out_.str(),
            "Model m-f version 3, MC dropout over 10 samples\n"
            "ROW  CLASS       MEAN     STD  LABEL\n"
            "  0  Dress     0.9000  0.0500  Dress\n"
            "  1  Pullover  0.9000  0.0500  Sandal\n"
            "accuracy: 0.5000 (1/2)\n");
}

TEST_F(CliCommandsTest, PredictPlainIndexesRows) {
  absl::SetFlag(&FLAGS_input, TempFile("cli_x2.csv", "a,b\n3,0\n12,1\n7,7\n"));
  absl::SetFlag(&FLAGS_index, 1);
  absl::SetFlag(&FLAGS_count, 2);
  ASSERT_EQ(Run(RunPredict, {"m-f"}), absl::OkStatus());
  EXPECT_EQ(out_.str(),
            "Model m-f version 3\n"
            "ROW  CLASS  PROBABILITY\n"
            "  1  2           0.9000\n"
            "  2  7           0.9000\n");
}

TEST_F(CliCommandsTest, PredictJsonHasReadableTensors) {
  absl::SetFlag(&FLAGS_input, TempFile("cli_x3.csv", "a\n4\n"));
  ASSERT_EQ(Run(RunPredict, {"m-f"}, /*json=*/true), absl::OkStatus());
  EXPECT_THAT(out_.str(), HasSubstr("\"values\": ["));
  EXPECT_THAT(out_.str(), HasSubstr("\"top_class\": [\n  4\n ]"));
  EXPECT_THAT(out_.str(), HasSubstr("\"data\": \"\""));  // not base64
}

}  // namespace
}  // namespace profundo::cli
