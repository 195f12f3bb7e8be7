// AuthPolicy: the token file format and its errors (file:line, never the
// token), the role table (every RPC of profundo.v1.Profundo is listed;
// predict may call the read-only RPCs and Predict, admin everything, an
// unlisted RPC is admin-only), the codes for missing and wrong tokens, and
// the health port's gate.
#include "server/auth_policy.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "profundo/v1/service.grpc.pb.h"

namespace profundo::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAdminToken[] = "adm-7f3e9c2a41b8d605";
constexpr char kPredictToken[] = "prd-0c1d2e3f4a5b6c7d";
constexpr char kTokens[] =
    "# Profundo tokens\n"
    "\n"
    "adm-7f3e9c2a41b8d605 admin alice\n"
    "   # indented comment\n"
    "prd-0c1d2e3f4a5b6c7d\tpredict svc-frontend\r\n"
    "prd-99999999999999999 predict\n";

std::string Rpc(const std::string& method) {
  return "/profundo.v1.Profundo/" + method;
}

std::string Bearer(const std::string& token) { return "Bearer " + token; }

AuthPolicy Policy() {
  absl::StatusOr<AuthPolicy> policy = AuthPolicy::FromText(kTokens, "tokens");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *std::move(policy);
}

const std::vector<std::string>& ReadRpcs() {
  static const auto* rpcs = new std::vector<std::string>{
      "GetDataset", "ListDatasets", "ValidateModel", "ListModels",
      "GetModel",   "GetJob",       "ListJobs",      "WatchJob",
      "Predict"};
  return *rpcs;
}

const std::vector<std::string>& MutatingRpcs() {
  static const auto* rpcs = new std::vector<std::string>{
      "UploadDataset", "DeleteDataset", "SubmitJob", "CancelJob"};
  return *rpcs;
}

TEST(AuthPolicyTest, ParsesRolesNamesCommentsAndBlankLines) {
  const AuthPolicy policy = Policy();
  EXPECT_EQ(policy.CountRole(Role::kAdmin), 1);
  EXPECT_EQ(policy.CountRole(Role::kPredict), 2);
  EXPECT_EQ(policy.Describe(),
            "alice (admin), svc-frontend (predict), line 6 (predict)");
}

TEST(AuthPolicyTest, EveryRpcOfTheServiceIsInTheAccessTable) {
  // Through a message of the same file, so the file is linked in.
  const google::protobuf::ServiceDescriptor* service =
      v1::Dataset::descriptor()->file()->FindServiceByName("Profundo");
  ASSERT_NE(service, nullptr);
  ASSERT_EQ(static_cast<size_t>(service->method_count()),
            ReadRpcs().size() + MutatingRpcs().size())
      << "a new RPC: list it in kAccessTable (auth_policy.cc) and here";
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = Rpc(service->method(i)->name());
    EXPECT_NE(AccessOf(method), Access::kNobody) << method << " is not listed";
    EXPECT_NE(AccessOf(method), Access::kPublic) << method;
  }
  for (const std::string& rpc : ReadRpcs()) {
    EXPECT_EQ(AccessOf(Rpc(rpc)), Access::kPredict) << rpc;
  }
  for (const std::string& rpc : MutatingRpcs()) {
    EXPECT_EQ(AccessOf(Rpc(rpc)), Access::kAdmin) << rpc;
  }
}

TEST(AuthPolicyTest, AdminMayCallEverything) {
  const AuthPolicy policy = Policy();
  for (const auto* rpcs : {&ReadRpcs(), &MutatingRpcs()}) {
    for (const std::string& rpc : *rpcs) {
      EXPECT_EQ(policy.Check(Rpc(rpc), Bearer(kAdminToken)), absl::OkStatus())
          << rpc;
    }
  }
  // The scheme in lower case.
  EXPECT_EQ(policy.Check(Rpc("Predict"), "bearer " + std::string(kAdminToken)),
            absl::OkStatus());
}

TEST(AuthPolicyTest, AnRpcNotInTheTableIsDeniedToEveryToken) {
  const AuthPolicy policy = Policy();
  EXPECT_EQ(AccessOf(Rpc("Future")), Access::kNobody);
  for (const char* token : {kAdminToken, kPredictToken}) {
    const absl::Status s = policy.Check(Rpc("Future"), Bearer(token));
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << token;
    EXPECT_EQ(s.message(), "Future is not in the access table");
  }
  // Authentication still comes first.
  EXPECT_EQ(policy.Check(Rpc("Future"), "").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(policy.Check("/other.Service/Method", Bearer(kAdminToken)).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AuthPolicyTest, PredictMayReadAndPredictButNotMutate) {
  const AuthPolicy policy = Policy();
  for (const std::string& rpc : ReadRpcs()) {
    EXPECT_EQ(policy.Check(Rpc(rpc), Bearer(kPredictToken)), absl::OkStatus())
        << rpc;
  }
  for (const std::string& rpc : MutatingRpcs()) {
    const absl::Status s = policy.Check(Rpc(rpc), Bearer(kPredictToken));
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << rpc;
    EXPECT_EQ(s.message(),
              "token 'svc-frontend' has role predict, which may not call " +
                  rpc + " (admin only)");
  }
}

TEST(AuthPolicyTest, MissingMalformedOrUnknownTokensAreUnauthenticated) {
  const AuthPolicy policy = Policy();
  const std::string predict = Rpc("Predict");
  absl::Status s = policy.Check(predict, "");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(s.message(), HasSubstr("missing bearer token"));
  for (const std::string& header :
       {std::string("Basic ") + kAdminToken, std::string(kAdminToken),
        std::string("Bearer "), std::string("Bearer adm-7f3e9c2a41b8d60"),
        std::string("Bearer adm-7f3e9c2a41b8d6055"),
        std::string("Bearer x") + kAdminToken}) {
    s = policy.Check(predict, header);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << header;
    EXPECT_THAT(s.message(), Not(HasSubstr("adm-")));
  }
  EXPECT_EQ(policy.Check(predict, "Bearer nope").message(),
            "invalid bearer token");
}

TEST(AuthPolicyTest, HealthAndReflectionNeedNoToken) {
  const AuthPolicy policy = Policy();
  for (const char* method :
       {"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"}) {
    EXPECT_EQ(AccessOf(method), Access::kPublic) << method;
    EXPECT_EQ(policy.Check(method, ""), absl::OkStatus()) << method;
    EXPECT_EQ(policy.Check(method, "Bearer wrong"), absl::OkStatus()) << method;
  }
}

TEST(AuthPolicyTest, BadLinesNameFileAndLineButNeverTheToken) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::string secret = "s3cr3t-s3cr3t-s3cr3t";
  const std::vector<Case> cases = {
      {"# c\n" + secret + "\n",
       "tokens:2: expected '<token> <role> [name]', got 1 field(s)"},
      {secret + " admin a b\n",
       "tokens:1: expected '<token> <role> [name]', got 4 field(s)"},
      {"\n\n" + secret + " root alice\n",
       "tokens:3: unknown role 'root' (admin or predict)"},
      {"s3cr3t-short admin\n",
       "tokens:1: token shorter than 16 characters (use e.g. 'openssl rand "
       "-hex 32')"},
      {secret + " admin a\n\n" + secret + " predict b\n",
       "tokens:3: the same token as line 1"},
      {"# nothing\n\n",
       "tokens: no tokens (expected '<token> <role> [name]' lines)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<AuthPolicy> policy = AuthPolicy::FromText(c.text, "tokens");
    ASSERT_FALSE(policy.ok()) << c.text;
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(policy.status().message(), c.message);
    EXPECT_THAT(policy.status().message(), Not(HasSubstr("s3cr3t")));
  }
}

TEST(AuthPolicyTest, FromFileReadsTheFileAndNamesItInErrors) {
  const std::string dir = ::testing::TempDir() + "/auth_policy_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/tokens") << kTokens;
  absl::StatusOr<AuthPolicy> policy = AuthPolicy::FromFile(dir + "/tokens");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->Check(Rpc("SubmitJob"), Bearer(kAdminToken)),
            absl::OkStatus());

  std::ofstream(dir + "/bad") << "ok-but-no-role-0123456789\n";
  EXPECT_THAT(AuthPolicy::FromFile(dir + "/bad").status().message(),
              HasSubstr(dir + "/bad:1: "));
  EXPECT_THAT(AuthPolicy::FromFile(dir + "/missing").status().message(),
              HasSubstr(dir + "/missing: No such file or directory"));
  std::filesystem::remove_all(dir);
}

TEST(AuthPolicyTest, HealthPortServesOnlyHealth) {
  EXPECT_EQ(CheckHealthOnly("/grpc.health.v1.Health/Check"), absl::OkStatus());
  EXPECT_EQ(CheckHealthOnly("/grpc.health.v1.Health/Watch"), absl::OkStatus());
  for (const std::string& method :
       {Rpc("ListDatasets"),
        std::string(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")}) {
    const absl::Status s = CheckHealthOnly(method);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << method;
    EXPECT_THAT(s.message(), HasSubstr("serves only grpc.health.v1"));
  }
}

}  // namespace
}  // namespace profundo::server
