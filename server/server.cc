#include "server/server.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "server/port_credentials.h"

namespace profundo::server {
namespace {

constexpr char kServiceName[] = "profundo.v1.Profundo";
// Predict requests carry whole batches.
constexpr int kMaxMessageBytes = 256 << 20;

}  // namespace

absl::Status ValidateServerOptions(const ServerOptions& o, int cores) {
  if (o.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir is required");
  }
  if (o.workers < 1) return absl::InvalidArgumentError("--workers must be >= 1");
  if (o.threads_per_worker < 1) {
    return absl::InvalidArgumentError("--threads_per_worker must be >= 1");
  }
  if (cores > 0 && o.workers * o.threads_per_worker > cores) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--workers (", o.workers, ") x --threads_per_worker (",
        o.threads_per_worker, ") must not exceed the ", cores,
        " cores of this machine"));
  }
  if (o.training_nice < 0 || o.training_nice > 19) {
    return absl::InvalidArgumentError("--training_nice must be in [0, 19]");
  }
  if (o.predict_threads < 1) {
    return absl::InvalidArgumentError("--predict_threads must be >= 1");
  }
  if (o.predict_batch_rows < 1 ||
      o.predict_batch_rows > Predictor::kMaxBatchRows) {
    return absl::InvalidArgumentError(
        absl::StrCat("--predict_batch_rows must be in [1, ",
                     Predictor::kMaxBatchRows, "]"));
  }
  if (o.max_upload_bytes < 1) {
    return absl::InvalidArgumentError("--max_upload_bytes must be >= 1");
  }
  if (o.max_queued_jobs < 1) {
    return absl::InvalidArgumentError("--max_queued_jobs must be >= 1");
  }
  if (!o.health_listen.empty() && o.health_listen == o.listen &&
      !absl::EndsWith(o.listen, ":0")) {
    return absl::InvalidArgumentError(
        "--health_listen must differ from --listen");
  }
  if (o.tls.has_value()) PROFUNDO_RETURN_IF_ERROR(CheckTlsServerConfig(*o.tls));
  return ValidateLimits(o.limits);
}

ProfundoServer::ProfundoServer(ServerOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<ProfundoServer>> ProfundoServer::Start(
    ServerOptions options) {
  PROFUNDO_RETURN_IF_ERROR(ValidateServerOptions(options, /*cores=*/0));
  if (options.env == nullptr) options.env = Env::Default();
  std::unique_ptr<ProfundoServer> server(new ProfundoServer(std::move(options)));
  absl::Status status = server->Init();
  if (!status.ok()) {
    server->Shutdown();
    return status;
  }
  return server;
}

absl::Status ProfundoServer::Init() {
  Env* env = options_.env;
  PROFUNDO_RETURN_IF_ERROR(env->CreateDirs(options_.data_dir));
  PROFUNDO_ASSIGN_OR_RETURN(catalog_,
                            SqliteCatalog::Open(options_.data_dir + "/catalog.db"));
  blobs_ = std::make_unique<BlobStore>(env, options_.data_dir + "/blobs");
  PROFUNDO_RETURN_IF_ERROR(blobs_->Init());
  // Blobs written by a process that died before recording them.
  PROFUNDO_ASSIGN_OR_RETURN(auto live, catalog_->LiveBlobs());
  PROFUNDO_RETURN_IF_ERROR(blobs_->RemoveUnreferenced(live).status());

  datasets_ = std::make_unique<DatasetManager>(catalog_.get(), blobs_.get(),
                                               options_.limits);
  models_ = std::make_unique<ModelRegistry>(catalog_.get(), datasets_.get(),
                                            options_.limits);
  hub_ = std::make_unique<JobEventHub>();
  TrainingRun::Deps deps;
  deps.catalog = catalog_.get();
  deps.blobs = blobs_.get();
  deps.datasets = datasets_.get();
  deps.hub = hub_.get();
  deps.tensorboard_dir = options_.data_dir + "/tensorboard";
  JobManager::Options job_options;
  job_options.workers = options_.workers;
  job_options.threads_per_worker = options_.threads_per_worker;
  job_options.nice = options_.training_nice;
  job_options.max_queued_jobs = options_.max_queued_jobs;
  job_options.progress_interval = options_.progress_interval;
  job_options.limits = options_.limits;
  jobs_ = std::make_unique<JobManager>(deps, job_options);
  Predictor::Options predict_options;
  predict_options.threads = options_.predict_threads;
  predict_options.max_batch_rows = options_.predict_batch_rows;
  predict_options.limits = options_.limits;
  predictor_ = std::make_unique<Predictor>(catalog_.get(), blobs_.get(),
                                           predict_options);
  ProfundoService::Cores cores;
  cores.catalog = catalog_.get();
  cores.datasets = datasets_.get();
  cores.models = models_.get();
  cores.jobs = jobs_.get();
  cores.predictor = predictor_.get();
  cores.hub = hub_.get();
  cores.max_upload_bytes = options_.max_upload_bytes;
  service_ = std::make_unique<ProfundoService>(cores);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options_.listen.empty()) {
    CallGate gate;
    if (options_.auth != nullptr) {
      gate = [auth = options_.auth](absl::string_view method,
                                    absl::string_view authorization) {
        return auth->Check(method, authorization);
      };
    }
    builder.AddListeningPort(
        options_.listen,
        MakePortCredentials(options_.tls ? &*options_.tls : nullptr, gate),
        &port_);
  }
  if (!options_.health_listen.empty()) {
    builder.AddListeningPort(
        options_.health_listen,
        MakePortCredentials(nullptr,
                            [](absl::string_view method, absl::string_view) {
                              return CheckHealthOnly(method);
                            }),
        &health_port_);
  }
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || (!options_.listen.empty() && port_ == 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen));
  }
  if (!options_.health_listen.empty() && health_port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options_.health_listen, " (--health_listen)"));
  }
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(kServiceName, true);
    health->SetServingStatus(true);
  }
  // Jobs start only once the server answers: a restarted job's events are
  // watchable from the start.
  return jobs_->Start();
}

std::string ProfundoServer::SecuritySummary() const {
  std::string out;
  if (!options_.tls.has_value()) {
    out = "plaintext";
  } else if (options_.tls->client_ca_pem.empty()) {
    out = "TLS";
  } else {
    out = "TLS, client certificates required";
  }
  if (options_.auth == nullptr) {
    absl::StrAppend(&out, "; no token needed");
  } else {
    absl::StrAppend(&out, "; bearer tokens: ", options_.auth->Describe());
  }
  if (!options_.health_listen.empty()) {
    absl::StrAppend(&out, "; grpc.health.v1 only, plaintext, on ",
                    options_.health_listen, " (health port ", health_port_,
                    ")");
  }
  return out;
}

std::shared_ptr<grpc::Channel> ProfundoServer::InProcessChannel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return server_->InProcessChannel(args);
}

void ProfundoServer::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (server_ != nullptr) {
    grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
    if (health != nullptr) health->Shutdown();
  }
  // Running jobs checkpoint their state (stop within a batch, stay QUEUED)
  // and write their last events before the watches are told to end.
  if (jobs_ != nullptr) jobs_->Shutdown();
  if (hub_ != nullptr) hub_->Close();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(options_.shutdown_grace));
    server_->Wait();
  }
  if (predictor_ != nullptr) predictor_->Shutdown();
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  stopped_cv_.notify_all();
}

void ProfundoServer::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  stopped_cv_.wait(lock, [this] {
    return stopped_;
  });
}

ProfundoServer::~ProfundoServer() { Shutdown(); }

}  // namespace profundo::server
