// client/channel.h: reading PEM files with errors that name their flag, and
// the channel's TLS options (a client certificate needs its key; any TLS
// option means TLS). Connecting over TLS is tested against a real server in
// tests/service/security_test.cc.
#include "client/channel.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

constexpr char kPem[] =
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

class ChannelTest : public ::testing::Test {
 protected:
  // A directory of its own: ctest runs this fixture's tests in parallel
  // processes, and one's TearDown must not remove another's files.
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/channel_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ChannelTest, ReadPemFileReturnsTheTextOrNamesTheFlag) {
  std::ofstream(dir_ + "/ca.crt") << kPem;
  absl::StatusOr<std::string> pem = ReadPemFile("--tls_ca", dir_ + "/ca.crt");
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(*pem, kPem);

  absl::Status missing = ReadPemFile("--tls_ca", dir_ + "/nope").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.message(), "--tls_ca: cannot read " + dir_ +
                                   "/nope: No such file or directory");

  std::ofstream(dir_ + "/tokens") << "a-token-that-is-not-pem admin\n";
  absl::Status not_pem =
      ReadPemFile("$PROFUNDO_TLS_KEY", dir_ + "/tokens").status();
  EXPECT_EQ(not_pem.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(not_pem.message(),
            "$PROFUNDO_TLS_KEY: " + dir_ + "/tokens holds no PEM block");
  EXPECT_THAT(not_pem.message(), ::testing::Not(HasSubstr("a-token")));
}

TEST_F(ChannelTest, AnyTlsOptionMeansTls) {
  ChannelSecurity security;
  EXPECT_FALSE(security.UsesTls());
  security.tls = true;
  EXPECT_TRUE(security.UsesTls());
  security = ChannelSecurity();
  security.root_certs_pem = kPem;
  EXPECT_TRUE(security.UsesTls());
  security = ChannelSecurity();
  security.private_key_pem = kPem;
  EXPECT_TRUE(security.UsesTls());
}

TEST_F(ChannelTest, ClientCertificateNeedsItsKey) {
  ChannelSecurity security;
  security.cert_chain_pem = kPem;
  absl::Status s = CreateChannel("localhost:1", security).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("--tls_cert and --tls_key go together"));
  security = ChannelSecurity();
  security.private_key_pem = kPem;
  EXPECT_EQ(CreateChannel("localhost:1", security).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Plaintext and plain TLS channels are created (connecting is lazy).
  EXPECT_TRUE(CreateChannel("localhost:1", ChannelSecurity()).ok());
  security = ChannelSecurity();
  security.tls = true;
  EXPECT_TRUE(CreateChannel("localhost:1", security).ok());
}

}  // namespace
}  // namespace profundo
