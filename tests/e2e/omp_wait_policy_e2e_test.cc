// End to end: profundo-server puts --omp_wait_policy into OMP_WAIT_POLICY
// by re-executing itself before libgomp could read it (server/
// omp_wait_policy.h): the running server's environment (/proc/PID/environ,
// the environment of the program image it now runs) has the variable, the
// operator's OMP_WAIT_POLICY or GOMP_SPINCOUNT is left alone, and the
// startup line names the policy in effect.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process_util.h"

namespace profundo {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class OmpWaitPolicyE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/profundo_omp_e2e_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  struct Started {
    std::vector<std::string> environ;  // the running server's
    std::string err;                   // its stderr up to "listening"
    int exit_code = -1;                // after SIGTERM
  };

  // Runs the server with `flags` and the environment `env` (PATH only
  // plus these), reads its environment once it listens, stops it.
  Started Run(const std::vector<std::string>& flags,
              std::vector<std::string> env) {
    env.push_back("PATH=/usr/bin:/bin");
    std::vector<std::string> argv = {PROFUNDO_SERVER_BIN, "--listen=127.0.0.1:0",
                                     "--data_dir=" + dir_ + "/data",
                                     "--workers=1", "--threads_per_worker=1"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const std::string err_path = dir_ + "/server.err";
    const pid_t pid = Spawn(argv, dir_ + "/server.out", err_path, &env);
    Started s;
    if (pid <= 0 || WaitForPort(err_path) == 0) {
      s.err = ReadFile(err_path);
      if (pid > 0) kill(pid, SIGKILL), WaitExit(pid);
      return s;
    }
    s.environ = absl::StrSplit(ReadFile(absl::StrCat("/proc/", pid, "/environ")),
                               '\0', absl::SkipEmpty());
    s.err = ReadFile(err_path);
    kill(pid, SIGTERM);
    s.exit_code = WaitExit(pid);
    return s;
  }

  std::string dir_;
};

TEST_F(OmpWaitPolicyE2eTest, DefaultIsPassiveSetBeforeLibgompLoads) {
  const Started s = Run({}, {});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.environ, Contains("OMP_WAIT_POLICY=passive"));
  EXPECT_THAT(s.err, HasSubstr("OpenMP wait policy passive\n"));
}

TEST_F(OmpWaitPolicyE2eTest, FlagChoosesThePolicy) {
  const Started s = Run({"--omp_wait_policy=active"}, {});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.environ, Contains("OMP_WAIT_POLICY=active"));
  EXPECT_THAT(s.err, HasSubstr("OpenMP wait policy active\n"));
}

TEST_F(OmpWaitPolicyE2eTest, EmptyFlagLeavesLibgompsDefault) {
  const Started s = Run({"--omp_wait_policy="}, {});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.environ, Not(Contains(StartsWith("OMP_WAIT_POLICY="))));
  EXPECT_THAT(s.err, HasSubstr("OpenMP wait policy libgomp's default\n"));
}

TEST_F(OmpWaitPolicyE2eTest, TheOperatorsEnvironmentWins) {
  Started s = Run({}, {"OMP_WAIT_POLICY=active"});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.environ, Contains("OMP_WAIT_POLICY=active"));
  EXPECT_THAT(s.err, HasSubstr("OpenMP wait policy active\n"));

  s = Run({}, {"GOMP_SPINCOUNT=1000"});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.environ, Not(Contains(StartsWith("OMP_WAIT_POLICY="))));
  EXPECT_THAT(s.err,
              HasSubstr("OpenMP wait policy libgomp's default, GOMP_SPINCOUNT=1000\n"));
}

TEST_F(OmpWaitPolicyE2eTest, BadValueStopsTheServerWithExitCode2) {
  std::vector<std::string> env = {"PATH=/usr/bin:/bin"};
  const Result r = [&] {
    const pid_t pid = Spawn({PROFUNDO_SERVER_BIN, "--data_dir=" + dir_ + "/data",
                             "--omp_wait_policy=spin"},
                            dir_ + "/bad.out", dir_ + "/bad.err", &env);
    return Result{pid > 0 ? WaitExit(pid) : -1, ReadFile(dir_ + "/bad.out"),
                  ReadFile(dir_ + "/bad.err")};
  }();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--omp_wait_policy must be passive, active or empty"));
}

}  // namespace
}  // namespace profundo
