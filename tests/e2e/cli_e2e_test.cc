// End to end: the real profundo-server binary on a free loopback port with a
// temp data dir, driven by the real `profundo` CLI: upload a small synthetic
// IDX dataset, validate, submit --watch (tiny model, 2 epochs), list,
// predict with MC dropout, replay a watch, error exit codes, ping, a job's
// health table, an LR range test job and its plot, and a clean SIGTERM
// shutdown.
//
// The binaries' paths come from the build (PROFUNDO_SERVER_BIN,
// PROFUNDO_CLI_BIN).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process_util.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Synthetic 3-class 4x4 images: row i has label i % 3 and is bright in
// that third of its pixels.
std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
          static_cast<char>(v >> 8), static_cast<char>(v)};
}

constexpr int kRows = 150;

class CliE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // ctest runs each case in its own process, maybe in parallel: one
    // server and directory per process.
    dir_ = new std::string(absl::StrCat(::testing::TempDir(),
                                        "/profundo_cli_e2e_", getpid()));
    std::filesystem::remove_all(*dir_);
    std::filesystem::create_directories(*dir_ + "/data");
    std::string images = std::string("\x00\x00\x08\x03", 4) +
                         BigEndian32(kRows) + BigEndian32(4) + BigEndian32(4);
    std::string labels = std::string("\x00\x00\x08\x01", 4) + BigEndian32(kRows);
    for (int i = 0; i < kRows; ++i) {
      for (int p = 0; p < 16; ++p) {
        images += static_cast<char>((p * 3 / 16 == i % 3 ? 200 : 20) + (i + p) % 9);
      }
      labels += static_cast<char>(i % 3);
    }
    std::ofstream(*dir_ + "/images.idx", std::ios::binary) << images;
    std::ofstream(*dir_ + "/labels.idx", std::ios::binary) << labels;
    std::ofstream(*dir_ + "/config.json") << R"({"epochs": 1, "batch_size": 32})";

    server_pid_ = Spawn({PROFUNDO_SERVER_BIN, "--listen=127.0.0.1:0",
                         "--data_dir=" + *dir_ + "/data", "--workers=1",
                         "--threads_per_worker=1"},
                        *dir_ + "/server.out", *dir_ + "/server.err");
    ASSERT_GT(server_pid_, 0);
    // The server prints "listening on ... (port N)" once it serves.
    port_ = WaitForPort(*dir_ + "/server.err");
    ASSERT_NE(port_, 0) << ReadFile(*dir_ + "/server.err");
  }

  static void TearDownTestSuite() {
    if (server_pid_ > 0) {
      kill(server_pid_, SIGTERM);
      EXPECT_EQ(WaitExit(server_pid_), 0) << ReadFile(*dir_ + "/server.err");
    }
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  // Runs the CLI against the server with `args`.
  static Result Cli(std::vector<std::string> args) {
    args.insert(args.begin(),
                {PROFUNDO_CLI_BIN, absl::StrCat("--server=127.0.0.1:", port_)});
    return RunToEnd(args, *dir_ + "/cli");
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  // tests/data/specs/tiny_mc_dropout.json: 4x4 -> Dense(8) -> MCDropout ->
  // Dense(3, softmax), 163 parameters.
  static std::string SpecPath() {
    const char* root = std::getenv("PROFUNDO_SOURCE_DIR");
    const std::string here = __FILE__;  // .../tests/e2e/cli_e2e_test.cc
    const std::string tests = root != nullptr
                                  ? std::string(root) + "/tests"
                                  : here.substr(0, here.rfind("/e2e/"));
    return tests + "/data/specs/tiny_mc_dropout.json";
  }

  // Uploads the synthetic dataset once; returns its id.
  static std::string DatasetId() {
    static std::string* id = nullptr;
    if (id != nullptr) return *id;
    Result r = Cli({"upload", "--json", "--name=blocks", "--images", Path("images.idx"),
                    "--labels", Path("labels.idx")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::smatch m;
    const std::regex id_re(R"re("id": "(ds-[^"]+)")re");
    EXPECT_TRUE(std::regex_search(r.out, m, id_re)) << r.out;
    id = new std::string(m.size() > 1 ? m[1].str() : "");
    return *id;
  }

  // Trains the spec for 2 epochs with --watch once; returns the run.
  static const Result& Trained() {
    static Result* result = nullptr;
    if (result == nullptr) {
      result = new Result(Cli({"submit", SpecPath(), "--dataset", DatasetId(),
                               "--config", Path("config.json"), "--epochs=2",
                               "--batch-size", "16", "--validation-split=0.2",
                               "--job-id=e2e-job-1", "--watch"}));
    }
    return *result;
  }

  static std::string ModelId() {
    std::smatch m;
    const std::regex re(R"(model (m-\S+) version 1)");
    const std::string& out = Trained().out;
    return std::regex_search(out, m, re) ? m[1].str() : "";
  }

  static std::string* dir_;
  static pid_t server_pid_;
  static int port_;
};

std::string* CliE2eTest::dir_ = nullptr;
pid_t CliE2eTest::server_pid_ = -1;
int CliE2eTest::port_ = 0;

TEST_F(CliE2eTest, UploadAndListDatasets) {
  const std::string id = DatasetId();
  ASSERT_THAT(id, StartsWith("ds-"));
  Result r = Cli({"datasets"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("ID"));
  EXPECT_THAT(r.out, HasSubstr(id));
  EXPECT_THAT(r.out, HasSubstr("blocks  IDX"));
  EXPECT_THAT(r.out, HasSubstr("4x4"));
  r = Cli({"dataset", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(id, " (blocks): IDX, 150 rows, features 4x4, 3 classes")));
}

TEST_F(CliE2eTest, ValidatePrintsSummary) {
  Result r = Cli({"summary", SpecPath()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Total params: 163"));
}

TEST_F(CliE2eTest, SubmitWatchPrintsKerasEpochLines) {
  const Result& r = Trained();
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_THAT(r.out, StartsWith("Submitted e2e-job-1 ("));
  EXPECT_EQ(r.out.find('\r'), std::string::npos);  // not a terminal
  const std::regex epoch_line(
      R"(^\d+/\d+ \[=+\] - \d+s \d+(s|ms|us)/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$)");
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[1], "Epoch 1/2");
  EXPECT_TRUE(std::regex_match(lines[2], epoch_line)) << lines[2];
  EXPECT_EQ(lines[3], "Epoch 2/2");
  EXPECT_TRUE(std::regex_match(lines[4], epoch_line)) << lines[4];
  EXPECT_THAT(lines[5], StartsWith("Job e2e-job-1 SUCCEEDED: model m-"));
  // 120 training rows (150 less the 20% split) in batches of 16: 8 steps.
  EXPECT_THAT(lines[2], StartsWith("8/8 [==="));

  // Watching the finished job replays the same epochs.
  Result again = Cli({"watch", "e2e-job-1"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("Epoch 2/2\n8/8 [="));
  EXPECT_THAT(again.out, HasSubstr("Job e2e-job-1 SUCCEEDED"));
}

TEST_F(CliE2eTest, JobsAndModelsTables) {
  ASSERT_EQ(Trained().exit_code, 0);
  Result r = Cli({"jobs", "--state=succeeded"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("e2e-job-1"));
  EXPECT_THAT(r.out, HasSubstr("SUCCEEDED"));
  EXPECT_THAT(r.out, HasSubstr("2/2"));
  r = Cli({"models"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(ModelId()));
  EXPECT_THAT(r.out, HasSubstr("READY"));
  r = Cli({"job", "e2e-job-1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"state\": \"JOB_STATE_SUCCEEDED\""));
  EXPECT_THAT(r.out, HasSubstr("\"epochs_completed\": 2"));
}

TEST_F(CliE2eTest, PredictWithMcDropout) {
  const std::string model = ModelId();
  ASSERT_THAT(model, StartsWith("m-"));
  Result r = Cli({"predict", model, "--input", Path("images.idx"), "--index=3",
                  "--count=6", "--mc-samples=20", "--labels", Path("labels.idx")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 9u) << r.out;  // title, header, 6 rows, accuracy
  EXPECT_EQ(lines[0], absl::StrCat("Model ", model,
                                   " version 1, MC dropout over 20 samples"));
  EXPECT_EQ(lines[1], "ROW  CLASS    MEAN     STD  LABEL");
  const std::regex row(R"(^ +\d+  [0-2]      \d\.\d{4}  \d\.\d{4}  [0-2]$)");
  for (int i = 2; i < 8; ++i) EXPECT_TRUE(std::regex_match(lines[i], row)) << lines[i];
  EXPECT_THAT(lines[2], StartsWith("  3  "));
  EXPECT_THAT(lines[8], StartsWith("accuracy: "));

  r = Cli({"predict", model, "--input", Path("images.idx"), "--count=2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"top_class\""));
  EXPECT_THAT(r.out, HasSubstr("\"values\""));
}

TEST_F(CliE2eTest, ErrorsHaveCodesAndExitStatus) {
  Result r = Cli({"job", "job-nope"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, StartsWith("profundo: NOT_FOUND: "));
  EXPECT_EQ(r.out, "");

  ASSERT_EQ(Trained().exit_code, 0);
  r = Cli({"cancel", "e2e-job-1"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, StartsWith("profundo: FAILED_PRECONDITION: "));

  r = Cli({"submit", SpecPath()});  // no --dataset
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("profundo: INVALID_ARGUMENT: submit needs --dataset\n"
                                "usage: profundo submit SPEC.json"));

  r = Cli({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "profundo: INVALID_ARGUMENT: unknown command 'frobnicate' "
                   "(see 'profundo help')\n");

  // Nobody listens on port 1.
  std::vector<std::string> args = {PROFUNDO_CLI_BIN, "--server=127.0.0.1:1",
                                   "--timeout=5s", "datasets"};
  const pid_t pid = Spawn(args, Path("down.out"), Path("down.err"));
  EXPECT_EQ(WaitExit(pid), 6);
  EXPECT_THAT(ReadFile(Path("down.err")), StartsWith("profundo: UNAVAILABLE: "));
}

TEST_F(CliE2eTest, PingChecksTheServersHealthService) {
  Result r = Cli({"ping"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "SERVING\n");
  r = Cli({"--service=profundo.v1.Profundo", "ping", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"status\": \"SERVING\""));
  r = Cli({"--service=no.such.Service", "ping"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, StartsWith("profundo: NOT_FOUND: "));
  r = Cli({"ping", "extra"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliE2eTest, HealthPrintsTheLatestPerLayerReport) {
  // 150 rows in batches of 16: 10 steps, reports at steps 0, 4 and 8.
  Result r = Cli({"submit", SpecPath(), "--dataset", DatasetId(),
                  "--batch-size=16", "--health-every-steps=4",
                  "--job-id=e2e-health", "--watch"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = Cli({"health", "e2e-health"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 7u) << r.out;
  EXPECT_THAT(lines[0], StartsWith("Health at step 8 (epoch 1, batch loss "));
  EXPECT_EQ(lines[1],
            "LAYER       TYPE       ACTIVATION  GRAD_NORM  UPDATE/WEIGHT  "
            "ACT_MEAN  ACT_STD  DEAD  SATURATED");
  // Flatten, Dense(8, relu), MCDropout, Dense(3) (its softmax is fused with
  // the loss: linear logits).
  EXPECT_THAT(lines[2], StartsWith("flatten     Flatten    linear              -              -"));
  const std::regex dense(
      R"(^dense       Dense      relu +\d\S* +\d\.\d\de-\d\d +-?\d\S* +\d\S* +\d+% +-$)");
  EXPECT_TRUE(std::regex_match(lines[3], dense)) << lines[3];
  EXPECT_THAT(lines[4], StartsWith("mc_dropout  MCDropout"));
  EXPECT_THAT(lines[5], StartsWith("dense_1     Dense      linear"));
  EXPECT_EQ(lines[6], "No warnings.");

  r = Cli({"health", "e2e-health", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"step\": \"8\""));
  EXPECT_THAT(r.out, HasSubstr("\"grad_norm\": "));
  EXPECT_THAT(r.out, HasSubstr("\"dead_fraction\": "));

  r = Cli({"health", "job-nope"});
  EXPECT_EQ(r.exit_code, 3);
  r = Cli({"health"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("usage: profundo health JOB_ID"));
}

TEST_F(CliE2eTest, LrRangeTestJobSuggestsARateAndPlotsItsCurve) {
  Result r = Cli({"submit", SpecPath(), "--dataset", DatasetId(),
                  "--batch-size=16", "--lr-range-test", "--lr-min=1e-4",
                  "--lr-max=1", "--lr-steps=30", "--job-id=e2e-lr", "--watch"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_THAT(r.out, StartsWith("Submitted e2e-lr (QUEUED), model -\n"));
  const std::regex done(
      R"(Job e2e-lr SUCCEEDED: LR range test over \d+ steps.*, minimum smoothed loss at lr \S+; suggested OneCycle max_rate \S+\n)");
  EXPECT_TRUE(std::regex_search(r.out, done)) << r.out;

  r = Cli({"health", "e2e-lr"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("an LR range test measures none"));

  const std::string dir = Path("plots");
  r = Cli({"plot", "e2e-lr", "--out", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, dir + "/e2e-lr_lr_range_test.svg\n");
  const std::string svg = ReadFile(dir + "/e2e-lr_lr_range_test.svg");
  EXPECT_THAT(svg, HasSubstr("data-series=\"smoothed\""));
  EXPECT_THAT(svg, HasSubstr("learning rate (log scale)"));
  EXPECT_THAT(svg, HasSubstr("max_rate "));
}

}  // namespace
}  // namespace profundo
