// End to end with TLS and bearer tokens: the real profundo-server with
// --tls_cert/--tls_key (certificates made at test time), --tokens_file and
// --health_listen, driven by the real `profundo` CLI with --tls_ca and
// --token (or $PROFUNDO_TLS_CA and $PROFUNDO_TOKEN). Checks the exit codes
// of refused calls, the plaintext health port, bad security flags (exit 2,
// never a plaintext start), and that neither the tokens nor the private
// key ever appear in the server's or the CLI's output.
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process_util.h"
#include "tests/test_certs.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kAdminToken[] = "e2e-admin-8d4f1a0b2c3e5f67";
constexpr char kPredictToken[] = "e2e-predict-19af3c5e7b2d40";
constexpr char kWrongToken[] = "e2e-wrong-000000000000000";

class SecurityE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(absl::StrCat(::testing::TempDir(),
                                        "/profundo_security_e2e_", getpid()));
    std::filesystem::remove_all(*dir_);
    std::filesystem::create_directories(*dir_);
    certs_ = new testing::TestCerts;
    ASSERT_TRUE(testing::MakeTestCerts(*dir_ + "/certs", certs_));
    std::ofstream(Path("tokens"))
        << "# test tokens\n"
        << kAdminToken << " admin root\n\n"
        << kPredictToken << " predict frontend\n";
    std::ofstream(Path("images.idx"), std::ios::binary)
        << std::string("\x00\x00\x08\x03\x00\x00\x00\x03\x00\x00\x00\x02"
                       "\x00\x00\x00\x02",
                       16)
        << std::string(12, '\x40');
    std::ofstream(Path("labels.idx"), std::ios::binary)
        << std::string("\x00\x00\x08\x01\x00\x00\x00\x03\x00\x01\x02", 11);

    server_pid_ = Spawn({PROFUNDO_SERVER_BIN, "--listen=127.0.0.1:0",
                         "--health_listen=127.0.0.1:0",
                         "--data_dir=" + Path("data"), "--workers=1",
                         "--threads_per_worker=1",
                         "--tls_cert=" + certs_->Path("server.crt"),
                         "--tls_key=" + certs_->Path("server.key"),
                         "--tokens_file=" + Path("tokens")},
                        Path("server.out"), Path("server.err"));
    ASSERT_GT(server_pid_, 0);
    port_ = WaitForPort(Path("server.err"));
    health_port_ = WaitForPort(Path("server.err"), "health port");
    ASSERT_NE(port_, 0) << ReadFile(Path("server.err"));
    ASSERT_NE(health_port_, 0) << ReadFile(Path("server.err"));
  }

  static void TearDownTestSuite() {
    StopServer();
    std::filesystem::remove_all(*dir_);
    delete certs_;
    delete dir_;
  }

  // SIGTERM; the server must exit 0.
  static void StopServer() {
    if (server_pid_ <= 0) return;
    kill(server_pid_, SIGTERM);
    EXPECT_EQ(WaitExit(server_pid_), 0) << ReadFile(Path("server.err"));
    server_pid_ = -1;
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  // The CLI against the TLS port with `args` (add --tls_ca, --token...).
  static Result Cli(std::vector<std::string> args, int port = 0) {
    args.insert(args.begin(),
                {PROFUNDO_CLI_BIN, "--timeout=10s",
                 absl::StrCat("--server=127.0.0.1:", port == 0 ? port_ : port)});
    return RunToEnd(args, Path("cli"));
  }
  static std::string TlsCa() { return "--tls_ca=" + certs_->Path("ca.crt"); }
  static std::string Token(const char* token) {
    return absl::StrCat("--token=", token);
  }

  // Every string a log must never contain: the tokens and each line of
  // the private key's PEM body.
  static std::vector<std::string> Secrets() {
    std::vector<std::string> secrets = {kAdminToken, kPredictToken, kWrongToken};
    for (absl::string_view line :
         absl::StrSplit(certs_->Read("server.key"), '\n', absl::SkipEmpty())) {
      if (!absl::StartsWith(line, "-----")) secrets.emplace_back(line);
    }
    return secrets;
  }

  static std::string* dir_;
  static testing::TestCerts* certs_;
  static pid_t server_pid_;
  static int port_;
  static int health_port_;
};

std::string* SecurityE2eTest::dir_ = nullptr;
testing::TestCerts* SecurityE2eTest::certs_ = nullptr;
pid_t SecurityE2eTest::server_pid_ = -1;
int SecurityE2eTest::port_ = 0;
int SecurityE2eTest::health_port_ = 0;

TEST_F(SecurityE2eTest, CliWithTlsCaAndTokenListsDatasets) {
  Result r = Cli({TlsCa(), Token(kAdminToken), "upload", "--name=tiny",
                  "--images", Path("images.idx"), "--labels", Path("labels.idx")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({TlsCa(), Token(kAdminToken), "datasets"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("ID"));
  EXPECT_THAT(r.out, HasSubstr("tiny  IDX"));

  // The same through the environment, with the predict token.
  setenv("PROFUNDO_TLS_CA", certs_->Path("ca.crt").c_str(), 1);
  setenv("PROFUNDO_TOKEN", kPredictToken, 1);
  r = Cli({"datasets"});
  unsetenv("PROFUNDO_TLS_CA");
  unsetenv("PROFUNDO_TOKEN");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("tiny  IDX"));
}

TEST_F(SecurityE2eTest, RefusedCallsExitWithTheirCodes) {
  Result r = Cli({TlsCa(), "datasets"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_THAT(r.err, StartsWith("profundo: UNAUTHENTICATED: missing bearer token"));
  r = Cli({TlsCa(), Token(kWrongToken), "datasets"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.err, "profundo: UNAUTHENTICATED: invalid bearer token\n");
  r = Cli({TlsCa(), Token(kPredictToken), "upload", "--name=x", "--images",
           Path("images.idx"), "--labels", Path("labels.idx")});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.err, "profundo: PERMISSION_DENIED: token 'frontend' has role "
                   "predict, which may not call UploadDataset (admin only)\n");
  // Plaintext against the TLS port: no connection.
  r = Cli({Token(kAdminToken), "datasets"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_THAT(r.err, StartsWith("profundo: UNAVAILABLE: "));
  // A CA file that is not there.
  r = Cli({"--tls_ca=" + Path("nope.crt"), "datasets"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "profundo: INVALID_ARGUMENT: --tls_ca: cannot read " +
                       Path("nope.crt") + ": No such file or directory\n");
}

TEST_F(SecurityE2eTest, HealthPortAnswersProbesInPlaintextOnly) {
  const std::string health = absl::StrCat("--server=127.0.0.1:", health_port_);
  Result r = RunToEnd({PROFUNDO_CLI_BIN, health, "ping"}, Path("probe"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "SERVING\n");
  r = RunToEnd({PROFUNDO_CLI_BIN, health, Token(kAdminToken), "datasets"},
          Path("probe"));
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_THAT(r.err, HasSubstr("serves only grpc.health.v1"));
  // Health on the TLS port needs no token either.
  r = Cli({TlsCa(), "ping", "--service=profundo.v1.Profundo"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(SecurityE2eTest, SecretsNeverAppearInTheLogs) {
  std::string cli_output;
  for (const char* token : {kAdminToken, kPredictToken, kWrongToken}) {
    for (const char* command : {"datasets", "jobs", "delete-dataset"}) {
      Result r = Cli({TlsCa(), Token(token), command, "ds-nope"});
      absl::StrAppend(&cli_output, r.out, r.err);
    }
  }
  StopServer();
  const std::string log = ReadFile(Path("server.err")) +
                          ReadFile(Path("server.out"));
  EXPECT_THAT(log, HasSubstr("TLS; bearer tokens: root (admin), frontend "
                             "(predict); grpc.health.v1 only, plaintext"));
  EXPECT_THAT(log, Not(HasSubstr("WARNING")));
  EXPECT_THAT(log, Not(HasSubstr("PRIVATE KEY")));
  for (const std::string& secret : Secrets()) {
    EXPECT_THAT(log, Not(HasSubstr(secret)));
    EXPECT_THAT(cli_output, Not(HasSubstr(secret)));
  }
  EXPECT_THAT(cli_output, HasSubstr("invalid bearer token"));
  EXPECT_THAT(cli_output, HasSubstr("PERMISSION_DENIED"));
}

TEST_F(SecurityE2eTest, BadSecurityFlagsExit2WithoutStartingOrLeakingSecrets) {
  std::ofstream(Path("bad_tokens")) << "# ok\n"
                                    << kAdminToken << " admin root\n"
                                    << kPredictToken << " superuser\n";
  std::ofstream(Path("not_a_key")) << "hello\n";
  const std::vector<std::string> base = {PROFUNDO_SERVER_BIN,
                                         "--listen=127.0.0.1:0",
                                         "--data_dir=" + Path("data2")};
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--tokens_file=" + Path("bad_tokens")},
       "profundo-server: --tokens_file: " + Path("bad_tokens") +
           ":3: unknown role 'superuser' (admin or predict)\n"},
      {{"--tls_cert=" + certs_->Path("server.crt")},
       "profundo-server: --tls_cert and --tls_key go together: give both or "
       "neither\n"},
      {{"--tls_cert=" + certs_->Path("server.crt"),
        "--tls_key=" + Path("not_a_key")},
       "profundo-server: --tls_key: no unencrypted PEM private key in the "
       "file (" + Path("not_a_key") + ")\n"},
      {{"--tls_cert=" + certs_->Path("server.crt"),
        "--tls_key=" + certs_->Path("client.key")},
       "profundo-server: --tls_key does not match the certificate of "
       "--tls_cert (" + certs_->Path("client.key") + ")\n"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    Result r = RunToEnd(argv, Path("bad_server"));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err, c.message);
    EXPECT_THAT(r.err, Not(HasSubstr("listening")));
    for (const std::string& secret : Secrets()) {
      EXPECT_THAT(r.err, Not(HasSubstr(secret)));
    }
  }
}

}  // namespace
}  // namespace profundo
