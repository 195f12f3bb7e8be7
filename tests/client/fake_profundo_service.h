// A fake Profundo service for client and CLI tests, in the same process:
// it reassembles uploads and checks their CRC-32, sleeps past deadlines
// ("slow"), echoes metadata, drops a watch stream midway ("flaky"), lists
// two datasets, predicts by a fixed rule and answers errors. See each
// method for its script.
//
// Thread-safe (gRPC calls it from its threads). FakeServer owns a server
// running it; channels from it must not outlive it.
//
// Example:
//   FakeServer server;
//   Client client(server.Channel());
#ifndef PROFUNDO_TESTS_CLIENT_FAKE_PROFUNDO_SERVICE_H_
#define PROFUNDO_TESTS_CLIENT_FAKE_PROFUNDO_SERVICE_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "client/float_tensor.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "profundo/v1/service.grpc.pb.h"
#include "zlib.h"

namespace profundo::fake {

inline uint32_t Crc32(const std::string& bytes) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uInt>(bytes.size())));
}

// A scripted in-process Profundo service (see the file comment).
class FakeService final : public v1::Profundo::Service {
 public:
  static constexpr int64_t kMaxUploadBytes = 8 << 20;

  grpc::Status UploadDataset(grpc::ServerContext* context,
                             grpc::ServerReader<v1::UploadDatasetRequest>* reader,
                             v1::Dataset* response) override {
    v1::UploadDatasetRequest request;
    if (!reader->Read(&request) || !request.has_header()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "header missing"};
    }
    const v1::UploadHeader header = request.header();
    if (header.features_bytes() > kMaxUploadBytes) {
      // Answers at once, as a server does: the client must stop sending.
      return {grpc::StatusCode::RESOURCE_EXHAUSTED,
              "header.features_bytes " + std::to_string(header.features_bytes()) +
                  " exceeds --max_upload_bytes"};
    }
    std::string features, labels;
    bool have_trailer = false;
    v1::UploadTrailer trailer;
    std::vector<size_t> sizes;
    while (reader->Read(&request)) {
      if (have_trailer) return {grpc::StatusCode::INVALID_ARGUMENT, "after trailer"};
      if (request.has_trailer()) {
        have_trailer = true;
        trailer = request.trailer();
        continue;
      }
      if (!request.has_chunk()) return {grpc::StatusCode::INVALID_ARGUMENT, "no chunk"};
      sizes.push_back(request.chunk().data().size());
      if (request.chunk().part() == v1::DATASET_PART_FEATURES) {
        if (!labels.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "order"};
        features += request.chunk().data();
      } else {
        labels += request.chunk().data();
      }
    }
    if (!have_trailer) return {grpc::StatusCode::INVALID_ARGUMENT, "trailer missing"};
    if (static_cast<int64_t>(features.size()) != header.features_bytes() ||
        static_cast<int64_t>(labels.size()) != header.labels_bytes()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "chunk: size mismatch"};
    }
    if (trailer.features_crc32() != Crc32(features) ||
        (!labels.empty() && trailer.labels_crc32() != Crc32(labels))) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "trailer.features_crc32 mismatch"};
    }
    std::lock_guard<std::mutex> lock(mu_);
    features_ = features;
    labels_ = labels;
    chunk_sizes_ = sizes;
    response->set_id("ds-1");
    response->set_name(header.name());
    response->set_format(header.format());
    response->set_size_bytes(static_cast<int64_t>(features.size() + labels.size()));
    return grpc::Status::OK;
  }

  grpc::Status GetDataset(grpc::ServerContext* context,
                          const v1::GetDatasetRequest* request,
                          v1::Dataset* response) override {
    if (request->dataset_id() == "slow") {
      // Sleeps until the client gives up.
      while (!context->IsCancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return {grpc::StatusCode::CANCELLED, "client went away"};
    }
    return {grpc::StatusCode::NOT_FOUND,
            "dataset " + request->dataset_id() + " not found"};
  }

  grpc::Status GetJob(grpc::ServerContext* context,
                      const v1::GetJobRequest* request,
                      v1::Job* response) override {
    // Echoes the authorization metadata and whether a deadline was set;
    // "flaky" is a finished 2-epoch job with accuracy.
    response->set_id(request->job_id());
    if (request->job_id() == "flaky") {
      response->set_state(v1::JOB_STATE_SUCCEEDED);
      response->set_epochs(2);
      response->mutable_spec()->add_metrics("accuracy");
      response->set_model_id("m-1");
      response->set_model_version(1);
      return grpc::Status::OK;
    }
    if (request->job_id() == "resumed") {
      // A 2-epoch job restarted after epoch 1, which an older server had
      // recorded without its time.
      response->set_state(v1::JOB_STATE_SUCCEEDED);
      response->set_dataset_id("ds-1");
      response->set_epochs(2);
      response->set_epochs_completed(2);
      response->set_restarts(1);
      for (int e = 0; e < 2; ++e) {
        v1::EpochMetrics* m = response->add_history();
        m->set_epoch(e);
        m->set_loss(0.5 - 0.125 * e);
        m->set_accuracy(0.75 + 0.125 * e);
        if (e == 1) m->set_val_loss(0.4375);
        m->set_lr(0.001);
        m->set_seconds(e == 0 ? 0.0 : 12.34);
      }
      return grpc::Status::OK;
    }
    auto it = context->client_metadata().find("authorization");
    if (it != context->client_metadata().end()) {
      response->set_error_message(std::string(it->second.data(), it->second.size()));
    }
    const bool has_deadline =
        context->deadline() < std::chrono::system_clock::now() + std::chrono::hours(1);
    response->set_restarts(has_deadline ? 1 : 0);
    return grpc::Status::OK;
  }

  grpc::Status CancelJob(grpc::ServerContext*, const v1::CancelJobRequest*,
                         v1::Job*) override {
    return {grpc::StatusCode::FAILED_PRECONDITION, "job job-1 has finished"};
  }

  grpc::Status SubmitJob(grpc::ServerContext*, const v1::SubmitJobRequest* request,
                         v1::Job* response) override {
    if (request->spec().layers_size() == 0) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "spec.layers must not be empty"};
    }
    response->set_id(request->job_id().empty() ? "job-1" : request->job_id());
    response->set_state(v1::JOB_STATE_QUEUED);
    return grpc::Status::OK;
  }

  // Job "flaky" has events 1..5 (5 = SUCCEEDED); the first connection drops
  // with UNAVAILABLE after seq 2 and the replay resends seq 2.
  grpc::Status WatchJob(grpc::ServerContext*, const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::JobEvent>* writer) override {
    int connection;
    {
      std::lock_guard<std::mutex> lock(mu_);
      connection = static_cast<int>(watch_after_.size());
      watch_after_.push_back(request->after_seq());
    }
    if (request->job_id() == "gone") {
      return {grpc::StatusCode::UNAVAILABLE, "server shutting down"};
    }
    if (request->job_id() != "flaky") {
      return {grpc::StatusCode::NOT_FOUND, "job " + request->job_id() + " not found"};
    }
    int64_t from = request->after_seq() + 1;
    if (connection > 0) from = request->after_seq();  // a replayed duplicate
    for (int64_t seq = from; seq <= 5; ++seq) {
      if (connection == 0 && seq == 3) {
        return {grpc::StatusCode::UNAVAILABLE, "connection lost"};
      }
      v1::JobEvent event = FlakyEvent(seq);
      writer->Write(event);
    }
    return grpc::Status::OK;
  }

  // Two datasets; page_token "" -> next_page_token "p2".
  grpc::Status ListDatasets(grpc::ServerContext*,
                            const v1::ListDatasetsRequest* request,
                            v1::ListDatasetsResponse* response) override {
    v1::Dataset* a = response->add_datasets();
    a->set_id("ds-1");
    a->set_name("fashion");
    a->set_format(v1::DATA_FORMAT_IDX);
    a->set_rows(60000);
    a->add_feature_shape(28);
    a->add_feature_shape(28);
    a->set_num_classes(10);
    a->set_size_bytes(30 << 20);
    a->mutable_create_time()->set_seconds(1800000000);
    v1::Dataset* b = response->add_datasets();
    b->set_id("ds-22");
    b->set_name("iris");
    b->set_format(v1::DATA_FORMAT_CSV);
    b->set_rows(150);
    b->add_feature_shape(4);
    b->set_num_classes(3);
    b->set_size_bytes(2600);
    if (request->page_token().empty()) response->set_next_page_token("p2");
    return grpc::Status::OK;
  }

  // "m-echo": the inputs come back as "probabilities", mc_samples as the
  // version and the request's row count as each top_class. Other models:
  // K = 10 classes, row i's top class is (first value of the row) % 10 with
  // probability 0.9 (std 0.05 with mc_samples).
  grpc::Status Predict(grpc::ServerContext*, const v1::PredictRequest* request,
                       v1::PredictResponse* response) override {
    response->set_model_id(request->model_id());
    auto inputs = UnpackFloatTensor(request->inputs());
    if (!inputs.ok()) return {grpc::StatusCode::INVALID_ARGUMENT, "inputs"};
    const int64_t rows = request->inputs().shape(0);
    if (request->model_id() == "m-echo") {
      response->set_version(request->mc_samples());
      *response->mutable_probabilities() = request->inputs();
      for (int64_t i = 0; i < rows; ++i) response->add_top_class(static_cast<int32_t>(rows));
      return grpc::Status::OK;
    }
    response->set_version(3);
    const int64_t per_row = static_cast<int64_t>(inputs->size()) / rows;
    std::vector<float> probs(static_cast<size_t>(rows * 10), 0.01f);
    std::vector<float> std(static_cast<size_t>(rows * 10), 0.01f);
    for (int64_t i = 0; i < rows; ++i) {
      const int k = static_cast<int>((*inputs)[static_cast<size_t>(i * per_row)]) % 10;
      probs[static_cast<size_t>(i * 10 + k)] = 0.9f;
      std[static_cast<size_t>(i * 10 + k)] = 0.05f;
      response->add_top_class(k);
      response->add_top_probability(0.9f);
    }
    *response->mutable_probabilities() = PackFloatTensor(probs, {rows, 10});
    if (request->mc_samples() > 0) *response->mutable_std() = PackFloatTensor(std, {rows, 10});
    return grpc::Status::OK;
  }

  // Seq 1: RUNNING at t=100; 2: batch 1/2 of epoch 0; 3: batch 2/2; 4: the
  // end of epoch 0 (of 1) at t=104.2; 5: SUCCEEDED.
  static v1::JobEvent FlakyEvent(int64_t seq) {
    v1::JobEvent event;
    event.set_seq(seq);
    event.set_job_id("flaky");
    event.mutable_time()->set_seconds(100 + seq);
    if (seq == 1) {
      event.mutable_time()->set_seconds(100);
      event.mutable_state_change()->set_state(v1::JOB_STATE_RUNNING);
    } else if (seq == 5) {
      event.mutable_state_change()->set_state(v1::JOB_STATE_SUCCEEDED);
    } else if (seq == 4) {
      event.mutable_time()->set_nanos(200000000);
      event.mutable_epoch_end()->set_loss(0.5);
      event.mutable_epoch_end()->set_accuracy(0.75);
      event.mutable_epoch_end()->set_val_loss(0.625);
      event.mutable_epoch_end()->set_val_accuracy(0.7);
    } else {
      v1::BatchProgress* p = event.mutable_batch_progress();
      p->set_epochs(1);
      p->set_batch(seq - 1);
      p->set_batches(2);
      p->set_loss(0.6);
      p->set_accuracy(0.7);
    }
    return event;
  }

  std::string features() { std::lock_guard<std::mutex> lock(mu_); return features_; }
  std::string labels() { std::lock_guard<std::mutex> lock(mu_); return labels_; }
  std::vector<size_t> chunk_sizes() { std::lock_guard<std::mutex> lock(mu_); return chunk_sizes_; }
  std::vector<int64_t> watch_after() { std::lock_guard<std::mutex> lock(mu_); return watch_after_; }

 private:
  // Guards what the handlers recorded (read by the test thread).
  std::mutex mu_;
  std::string features_ ABSL_GUARDED_BY(mu_);
  std::string labels_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> chunk_sizes_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> watch_after_ ABSL_GUARDED_BY(mu_);
};

class FakeServer {
 public:
  FakeServer() {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~FakeServer() { server_->Shutdown(); }

  std::shared_ptr<grpc::Channel> Channel() {
    return server_->InProcessChannel(grpc::ChannelArguments());
  }
  FakeService& service() { return service_; }

 private:
  FakeService service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace profundo::fake

#endif  // PROFUNDO_TESTS_CLIENT_FAKE_PROFUNDO_SERVICE_H_
