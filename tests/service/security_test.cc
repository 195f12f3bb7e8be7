// TLS, mutual TLS and bearer tokens through real sockets: a ProfundoServer
// on 127.0.0.1:0 with certificates made at test time (tests/test_certs.h),
// driven by profundo::Client over TLS channels (client/channel.h).
//
// Tokens: no token and a wrong token get UNAUTHENTICATED on unary and
// streaming RPCs; a predict token gets PERMISSION_DENIED on every mutating
// RPC (and changes nothing) but may predict and read; an admin token may
// call everything; health and reflection need no token. TLS: a client
// trusting the server's CA works, a plaintext client and one trusting
// another CA fail UNAVAILABLE; with a client CA, a client without a
// certificate (or with one from another CA) is refused. The plaintext
// health port answers grpc.health.v1 only.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/channel.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/service/generic_calls.h"
#include "tests/service/service_test_util.h"
#include "tests/test_certs.h"

namespace profundo {
namespace {

using ::profundo::server::testing::ListServices;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kAdminToken[] = "admin-5e1f0c9b7a2d4c38";
constexpr char kPredictToken[] = "predict-93b2e7d0c4f1a6";

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/security_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(testing::MakeTestCerts(dir_ + "/ca", &ca_));
    ASSERT_TRUE(testing::MakeTestCerts(dir_ + "/other", &other_ca_));
  }

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Starts the server on 127.0.0.1:0 with TLS from ca_ (mutual if
  // `client_ca`), the two tokens if `tokens`, and a health port.
  void StartServer(bool tls, bool tokens, bool client_ca = false) {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.health_listen = "127.0.0.1:0";
    options.data_dir = dir_ + "/data";
    options.progress_interval = absl::Milliseconds(10);
    if (tls) {
      server::TlsServerConfig config;
      config.cert_chain_pem = ca_.Read("server.crt");
      config.private_key_pem = ca_.Read("server.key");
      if (client_ca) config.client_ca_pem = ca_.Read("ca.crt");
      options.tls = config;
    }
    if (tokens) {
      auto policy = server::AuthPolicy::FromText(
          absl::StrCat(kAdminToken, " admin root\n", kPredictToken,
                       " predict frontend\n"),
          "tokens");
      ASSERT_TRUE(policy.ok()) << policy.status();
      options.auth = std::make_shared<server::AuthPolicy>(*std::move(policy));
    }
    auto server = server::ProfundoServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // A client of the API port: TLS trusting `ca` (plaintext if null), with
  // `token` and, if `cert` is set, the client key pair of `cert`.
  std::unique_ptr<Client> Connect(const testing::TestCerts* ca,
                                  const std::string& token,
                                  const testing::TestCerts* cert = nullptr,
                                  int port = 0) {
    ChannelSecurity security;
    if (ca != nullptr) security.root_certs_pem = ca->Read("ca.crt");
    if (cert != nullptr) {
      security.cert_chain_pem = cert->Read("client.crt");
      security.private_key_pem = cert->Read("client.key");
    }
    auto channel = CreateChannel(
        absl::StrCat("127.0.0.1:", port == 0 ? server_->port() : port),
        security);
    EXPECT_TRUE(channel.ok()) << channel.status();
    ClientOptions options;
    options.bearer_token = token;
    options.default_timeout = absl::Seconds(10);
    options.watch_max_reconnects = 0;
    return std::make_unique<Client>(*channel, options);
  }

  static DatasetUpload Upload(const std::string& name) {
    server::testing::Synthetic data;
    DatasetUpload upload;
    upload.name = name;
    upload.format = v1::DATA_FORMAT_IDX;
    upload.features = UploadSource::FromBytes(data.IdxImages());
    upload.labels = UploadSource::FromBytes(data.IdxLabels());
    return upload;
  }

  static v1::SubmitJobRequest Job(const std::string& dataset_id, int epochs) {
    v1::SubmitJobRequest request;
    *request.mutable_spec() = server::testing::TinySpec();
    request.set_dataset_id(dataset_id);
    *request.mutable_config() = server::testing::Config(epochs);
    return request;
  }

  static absl::Status Watch(const Client& client, const std::string& job_id,
                            int* events = nullptr) {
    return client.WatchJob(job_id, 0, [&](const v1::JobEvent&) {
      if (events != nullptr) ++*events;
      return true;
    });
  }

  std::string dir_;
  testing::TestCerts ca_;
  testing::TestCerts other_ca_;
  std::unique_ptr<server::ProfundoServer> server_;
};

std::vector<float> Rows(int n) {
  std::vector<uint8_t> pixels = server::testing::Synthetic().Pixels();
  return std::vector<float>(pixels.begin(), pixels.begin() + n * 16);
}

TEST_F(SecurityTest, MissingOrWrongTokenIsUnauthenticated) {
  StartServer(/*tls=*/true, /*tokens=*/true);
  for (const std::string token : {"", "wrong-token-0123456789"}) {
    SCOPED_TRACE(token);
    std::unique_ptr<Client> client = Connect(&ca_, token);
    absl::Status s = client->ListDatasets({}).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
    EXPECT_EQ(client->UploadDataset(Upload("x")).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(Watch(*client, "job-1").code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(client->SubmitJob(Job("ds-1", 1)).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(client->Predict("m-1", Rows(1), 16).status().code(),
              absl::StatusCode::kUnauthenticated);
    // Probes need no token.
    absl::StatusOr<ServingStatus> health = client->CheckHealth();
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(*health, ServingStatus::kServing);
  }
  // Nothing got through.
  std::unique_ptr<Client> admin = Connect(&ca_, kAdminToken);
  absl::StatusOr<v1::ListDatasetsResponse> list = admin->ListDatasets({});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(list->datasets(), SizeIs(0));
}

TEST_F(SecurityTest, PredictTokenMayPredictAndReadButNotMutate) {
  StartServer(/*tls=*/true, /*tokens=*/true);
  std::unique_ptr<Client> admin = Connect(&ca_, kAdminToken);
  std::unique_ptr<Client> predict = Connect(&ca_, kPredictToken);

  // The admin uploads two datasets and trains a model.
  absl::StatusOr<v1::Dataset> train = admin->UploadDataset(Upload("train"));
  ASSERT_TRUE(train.ok()) << train.status();
  absl::StatusOr<v1::Dataset> spare = admin->UploadDataset(Upload("spare"));
  ASSERT_TRUE(spare.ok()) << spare.status();
  absl::StatusOr<v1::Job> job = admin->SubmitJob(Job(train->id(), 1));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(Watch(*admin, job->id()), absl::OkStatus());

  // Mutating RPCs: PERMISSION_DENIED naming the token, and no effect.
  const auto denied = [](const absl::Status& s, const std::string& rpc) {
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << rpc << ": " << s;
    EXPECT_EQ(s.message(), absl::StrCat("token 'frontend' has role predict, "
                                        "which may not call ",
                                        rpc, " (admin only)"));
  };
  denied(predict->UploadDataset(Upload("sneaky")).status(), "UploadDataset");
  denied(predict->SubmitJob(Job(train->id(), 1)).status(), "SubmitJob");
  denied(predict->DeleteDataset(spare->id()), "DeleteDataset");
  absl::StatusOr<v1::Job> long_job = admin->SubmitJob(Job(train->id(), 500));
  ASSERT_TRUE(long_job.ok()) << long_job.status();
  denied(predict->CancelJob(long_job->id()).status(), "CancelJob");

  // Read RPCs and Predict.
  absl::StatusOr<v1::ListDatasetsResponse> datasets = predict->ListDatasets({});
  ASSERT_TRUE(datasets.ok()) << datasets.status();
  EXPECT_THAT(datasets->datasets(), SizeIs(2));  // "sneaky" never arrived
  absl::StatusOr<v1::Dataset> got = predict->GetDataset(spare->id());
  ASSERT_TRUE(got.ok()) << got.status();  // not deleted
  absl::StatusOr<v1::ListJobsResponse> jobs = predict->ListJobs({});
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  EXPECT_THAT(jobs->jobs(), SizeIs(2));  // the denied submit made none
  absl::StatusOr<v1::Job> done = predict->GetJob(job->id());
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->error_message();
  absl::StatusOr<v1::Job> still = predict->GetJob(long_job->id());
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_NE(still->state(), v1::JOB_STATE_CANCELLED);
  int events = 0;
  EXPECT_EQ(Watch(*predict, job->id(), &events), absl::OkStatus());
  EXPECT_GT(events, 1);
  absl::StatusOr<v1::Model> model = predict->GetModel(done->model_id());
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<v1::PredictResponse> prediction =
      predict->Predict(done->model_id(), Rows(5), 16);
  ASSERT_TRUE(prediction.ok()) << prediction.status();
  EXPECT_THAT(prediction->probabilities().shape(), ::testing::ElementsAre(5, 3));
  ASSERT_THAT(prediction->top_class(), SizeIs(5));
  for (float p : prediction->top_probability()) {
    EXPECT_GT(p, 1.0f / 3);  // the largest of three probabilities
    EXPECT_LE(p, 1.0f);
  }

  // The admin may do what predict may not.
  absl::StatusOr<v1::Job> cancelled = admin->CancelJob(long_job->id());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(admin->DeleteDataset(spare->id()), absl::OkStatus());
  EXPECT_EQ(admin->GetDataset(spare->id()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SecurityTest, AdminTokenMayCallEveryRpc) {
  StartServer(/*tls=*/true, /*tokens=*/true);
  std::unique_ptr<Client> admin = Connect(&ca_, kAdminToken);
  absl::StatusOr<v1::Dataset> ds = admin->UploadDataset(Upload("train"));
  ASSERT_TRUE(ds.ok()) << ds.status();
  ASSERT_TRUE(admin->GetDataset(ds->id()).ok());
  ASSERT_TRUE(admin->ListDatasets({}).ok());
  v1::ValidateModelRequest validate;
  *validate.mutable_spec() = server::testing::TinySpec();
  absl::StatusOr<v1::ValidateModelResponse> summary =
      admin->ValidateModel(validate);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->summary().total_params(), 163);
  absl::StatusOr<v1::Job> job = admin->SubmitJob(Job(ds->id(), 1));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(Watch(*admin, job->id()), absl::OkStatus());
  absl::StatusOr<v1::Job> done = admin->GetJob(job->id());
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_TRUE(admin->ListJobs({}).ok());
  absl::StatusOr<v1::ListModelsResponse> models = admin->ListModels({});
  ASSERT_TRUE(models.ok()) << models.status();
  EXPECT_THAT(models->models(), SizeIs(1));
  ASSERT_TRUE(admin->GetModel(done->model_id()).ok());
  absl::StatusOr<v1::PredictResponse> prediction =
      admin->Predict(done->model_id(), Rows(2), 16);
  ASSERT_TRUE(prediction.ok()) << prediction.status();
  EXPECT_THAT(prediction->top_class(), SizeIs(2));
  absl::StatusOr<v1::Job> queued = admin->SubmitJob(Job(ds->id(), 500));
  ASSERT_TRUE(queued.ok()) << queued.status();
  absl::StatusOr<v1::Job> cancelled = admin->CancelJob(queued->id());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  absl::StatusOr<v1::Dataset> spare = admin->UploadDataset(Upload("spare"));
  ASSERT_TRUE(spare.ok()) << spare.status();
  EXPECT_EQ(admin->DeleteDataset(spare->id()), absl::OkStatus());
}

TEST_F(SecurityTest, ReflectionNeedsNoTokenAndHealthPortServesOnlyHealth) {
  StartServer(/*tls=*/true, /*tokens=*/true);
  ChannelSecurity tls;
  tls.root_certs_pem = ca_.Read("ca.crt");
  auto channel =
      CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), tls);
  ASSERT_TRUE(channel.ok());
  absl::StatusOr<std::string> services = ListServices(*channel);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, HasSubstr("profundo.v1.Profundo"));

  // The plaintext health port: health yes, the API and reflection no.
  ASSERT_NE(server_->health_port(), 0);
  std::unique_ptr<Client> probe =
      Connect(nullptr, kAdminToken, nullptr, server_->health_port());
  absl::StatusOr<ServingStatus> health = probe->CheckHealth();
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, ServingStatus::kServing);
  health = probe->CheckHealth("profundo.v1.Profundo");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, ServingStatus::kServing);
  absl::Status s = probe->ListDatasets({}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_THAT(s.message(), HasSubstr("serves only grpc.health.v1"));
  auto plain = CreateChannel(
      absl::StrCat("127.0.0.1:", server_->health_port()), ChannelSecurity());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(ListServices(*plain).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(SecurityTest, TlsRefusesPlaintextAndClientsTrustingAnotherCa) {
  StartServer(/*tls=*/true, /*tokens=*/false);
  absl::StatusOr<v1::ListDatasetsResponse> ok =
      Connect(&ca_, "")->ListDatasets({});
  EXPECT_TRUE(ok.ok()) << ok.status();
  absl::Status plaintext = Connect(nullptr, "")->ListDatasets({}).status();
  EXPECT_EQ(plaintext.code(), absl::StatusCode::kUnavailable) << plaintext;
  absl::Status other = Connect(&other_ca_, "")->ListDatasets({}).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kUnavailable) << other;
}

TEST_F(SecurityTest, MutualTlsRefusesClientsWithoutAGoodCertificate) {
  StartServer(/*tls=*/true, /*tokens=*/true, /*client_ca=*/true);
  absl::StatusOr<v1::ListDatasetsResponse> ok =
      Connect(&ca_, kAdminToken, &ca_)->ListDatasets({});
  EXPECT_TRUE(ok.ok()) << ok.status();
  absl::Status none = Connect(&ca_, kAdminToken)->ListDatasets({}).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kUnavailable) << none;
  absl::Status foreign =
      Connect(&ca_, kAdminToken, &other_ca_)->ListDatasets({}).status();
  EXPECT_EQ(foreign.code(), absl::StatusCode::kUnavailable) << foreign;
}

TEST_F(SecurityTest, PlaintextServerWithoutTokensStaysOpen) {
  StartServer(/*tls=*/false, /*tokens=*/false);
  std::unique_ptr<Client> client = Connect(nullptr, "");
  absl::StatusOr<v1::Dataset> ds = client->UploadDataset(Upload("open"));
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(client->DeleteDataset(ds->id()), absl::OkStatus());
  // A TLS client cannot talk to it.
  EXPECT_EQ(Connect(&ca_, "")->ListDatasets({}).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(TlsServerConfigTest, BadFilesStopTheServerNamingTheFlag) {
  const std::string dir = ::testing::TempDir() + "/tls_config_test";
  std::filesystem::remove_all(dir);
  testing::TestCerts a, b;
  ASSERT_TRUE(testing::MakeTestCerts(dir + "/a", &a));
  ASSERT_TRUE(testing::MakeTestCerts(dir + "/b", &b));
  auto load = [](const std::string& cert, const std::string& key,
                 const std::string& ca) {
    return server::LoadTlsServerConfig(cert, key, ca).status();
  };
  absl::StatusOr<std::optional<server::TlsServerConfig>> good =
      server::LoadTlsServerConfig(a.Path("server.crt"), a.Path("server.key"),
                                  a.Path("ca.crt"));
  ASSERT_TRUE(good.ok()) << good.status();
  ASSERT_TRUE(good->has_value());
  EXPECT_EQ((*good)->private_key_pem, a.Read("server.key"));
  EXPECT_EQ((*good)->client_ca_pem, a.Read("ca.crt"));
  absl::StatusOr<std::optional<server::TlsServerConfig>> none =
      server::LoadTlsServerConfig("", "", "");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  const std::string key = a.Read("server.key");
  struct Case {
    absl::Status status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {load(a.Path("server.crt"), "", ""),
       "--tls_cert and --tls_key go together: give both or neither"},
      {load("", a.Path("server.key"), ""),
       "--tls_cert and --tls_key go together: give both or neither"},
      {load("", "", a.Path("ca.crt")),
       "--tls_client_ca needs --tls_cert and --tls_key (mutual TLS is TLS)"},
      {load(a.Path("server.crt"), dir + "/nope", ""),
       "--tls_key: open " + dir + "/nope: No such file or directory"},
      {load(a.Path("server.crt"), b.Path("server.key"), ""),
       "--tls_key does not match the certificate of --tls_cert (" +
           b.Path("server.key") + ")"},
      {load(a.Path("server.key"), a.Path("server.key"), ""),
       "--tls_cert: no PEM certificate in the file (" + a.Path("server.key") +
           ")"},
      {load(a.Path("server.crt"), a.Path("server.crt"), ""),
       "--tls_key: no unencrypted PEM private key in the file (" +
           a.Path("server.crt") + ")"},
      {load(a.Path("server.crt"), a.Path("server.key"), a.Path("server.key")),
       "--tls_client_ca: no PEM certificate in the file (" +
           a.Path("server.key") + ")"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(c.status.message(), c.message);
    EXPECT_THAT(c.status.message(), ::testing::Not(HasSubstr(key.substr(30, 20))));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace profundo
