#include "client/cli/output.h"

#include "client/cli/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo::cli {
namespace {

using ::testing::ElementsAre;

TEST(TableTest, PadsColumnsAndAlignsNumbersRight) {
  Table t({"ID", "NAME", "ROWS"});
  t.SetRightAligned(2);
  t.AddRow({"ds-1", "fashion", "60000"});
  t.AddRow({"ds-22", "x", "7"});
  t.AddRow({"ds-3"});  // missing cells are empty
  EXPECT_EQ(t.Render(),
            "ID     NAME      ROWS\n"
            "ds-1   fashion  60000\n"
            "ds-22  x            7\n"
            "ds-3\n");
  EXPECT_EQ(t.rows(), 3u);
}

TEST(TableTest, HeaderOnlyWhenEmpty) {
  Table t({"ID", "STATE"});
  EXPECT_EQ(t.Render(), "ID  STATE\n");
}

TEST(FormatTest, Bytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(31457280), "30.0 MiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 30), "3.0 GiB");
}

TEST(FormatTest, ShapesNamesAndTimes) {
  google::protobuf::RepeatedField<int64_t> shape;
  EXPECT_EQ(FormatShape(shape), "scalar");
  shape.Add(28);
  shape.Add(28);
  EXPECT_EQ(FormatShape(shape), "28x28");
  EXPECT_EQ(FormatName(v1::DATA_FORMAT_IDX), "IDX");
  EXPECT_EQ(FormatName(v1::DATA_FORMAT_UNSPECIFIED), "?");
  EXPECT_EQ(JobStateName(v1::JOB_STATE_SUCCEEDED), "SUCCEEDED");
  EXPECT_EQ(VersionStateName(v1::MODEL_VERSION_STATE_READY), "READY");
  google::protobuf::Timestamp t;
  EXPECT_EQ(FormatTimestamp(t), "-");
  t.set_seconds(1800000000);  // 2027-01-15 08:00:00 UTC
  EXPECT_EQ(FormatTimestamp(t), "2027-01-15 08:00:00");
}

TEST(FormatTest, ParseJobState) {
  v1::JobState state;
  ASSERT_TRUE(ParseJobState("running", &state).ok());
  EXPECT_EQ(state, v1::JOB_STATE_RUNNING);
  ASSERT_TRUE(ParseJobState("CANCELLED", &state).ok());
  EXPECT_EQ(state, v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(ParseJobState("unspecified", &state).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJobState("done", &state).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FormatTest, ErrorLineAndExitCodes) {
  EXPECT_EQ(FormatError(absl::NotFoundError("job job-9 not found")),
            "profundo: NOT_FOUND: job job-9 not found");
  EXPECT_EQ(FormatError(absl::InvalidArgumentError("spec.layers[1].dense.units must be > 0")),
            "profundo: INVALID_ARGUMENT: spec.layers[1].dense.units must be > 0");
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("x")), 1);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), 3);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::AlreadyExistsError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::ResourceExhaustedError("x")), 5);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("x")), 6);
  EXPECT_EQ(ExitCodeFor(absl::DeadlineExceededError("x")), 6);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("x")), 7);
  EXPECT_EQ(ExitCodeFor(absl::AbortedError("x")), 8);
  EXPECT_EQ(ExitCodeFor(absl::CancelledError("x")), 9);
}

TEST(CliArgsTest, NormalizesDashesInFlagNamesOnly) {
  EXPECT_THAT(NormalizeFlagNames({"profundo", "--batch-size=3", "--mc-samples",
                                  "10", "my-spec.json", "-validation-split=0.1",
                                  "--name=a-b", "--", "--keep-this"}),
              ElementsAre("profundo", "--batch_size=3", "--mc_samples", "10",
                          "my-spec.json", "-validation_split=0.1", "--name=a-b",
                          "--", "--keep-this"));
}

}  // namespace
}  // namespace profundo::cli
