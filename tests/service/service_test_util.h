// Helpers for the service tests: unary calls, temp dirs, small synthetic datasets in the
// upload formats (IDX, CSV, NPY), an upload driver over the generated stub,
// tiny model specs, and a job watcher.
//
// Header-only; each test binary includes it. Not thread-safe.
#ifndef PROFUNDO_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
#define PROFUNDO_TESTS_SERVICE_SERVICE_TEST_UTIL_H_

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "profundo/v1/service.grpc.pb.h"
#include "server/status_mapping.h"
#include "server/upload_assembler.h"

namespace profundo::server::testing {

// A unary call with a 60 s deadline, as absl::StatusOr.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Call(
    Stub* stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  Response response;
  absl::Status status =
      FromGrpcStatus((stub->*method)(&context, request, &response));
  if (!status.ok()) return status;
  return response;
}

// One chunk message of an upload stream.
inline v1::UploadDatasetRequest ChunkMessage(v1::DatasetPart part,
                                             const std::string& data) {
  v1::UploadDatasetRequest m;
  m.mutable_chunk()->set_part(part);
  m.mutable_chunk()->set_data(data);
  return m;
}

inline std::string MakeTempDir(const std::string& stem) {
  std::string pattern = ::testing::TempDir() + "/" + stem + "_XXXXXX";
  char* dir = mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

inline void PutBigEndian32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

// A learnable synthetic classification set: `rows` samples of h x w
// "images" (ubyte) whose class (row % classes) sets which band of pixels is
// bright, plus noise.
struct Synthetic {
  int rows = 300;
  int h = 4;
  int w = 4;
  int classes = 3;
  uint64_t seed = 7;

  std::vector<uint8_t> Pixels() const {
    absl::BitGen gen(std::seed_seq{static_cast<uint32_t>(seed)});
    std::vector<uint8_t> px(static_cast<size_t>(rows) * h * w);
    for (int r = 0; r < rows; ++r) {
      const int label = r % classes;
      for (int i = 0; i < h * w; ++i) {
        const bool bright = (i % classes) == label;
        int v = (bright ? 180 : 40) + absl::Uniform<int>(gen, -30, 30);
        px[static_cast<size_t>(r) * h * w + i] = static_cast<uint8_t>(v);
      }
    }
    return px;
  }
  int Label(int r) const { return r % classes; }

  std::string IdxImages() const {
    std::string out;
    PutBigEndian32(&out, 0x00000803);
    PutBigEndian32(&out, rows);
    PutBigEndian32(&out, h);
    PutBigEndian32(&out, w);
    for (uint8_t p : Pixels()) out.push_back(static_cast<char>(p));
    return out;
  }
  std::string IdxLabels(int label_offset = 0) const {
    std::string out;
    PutBigEndian32(&out, 0x00000801);
    PutBigEndian32(&out, rows);
    for (int r = 0; r < rows; ++r) {
      out.push_back(static_cast<char>(Label(r) + label_offset));
    }
    return out;
  }
  // Columns p0..p(h*w-1), then "label".
  std::string Csv() const {
    std::string out;
    for (int i = 0; i < h * w; ++i) absl::StrAppend(&out, "p", i, ",");
    out += "label\n";
    std::vector<uint8_t> px = Pixels();
    for (int r = 0; r < rows; ++r) {
      for (int i = 0; i < h * w; ++i) {
        absl::StrAppend(&out, static_cast<int>(px[static_cast<size_t>(r) * h * w + i]), ",");
      }
      absl::StrAppend(&out, Label(r), "\n");
    }
    return out;
  }
  // float32 [rows, h*w] and int64 [rows].
  std::string NpyX() const {
    std::vector<uint8_t> px = Pixels();
    std::string body;
    for (uint8_t p : px) {
      float f = p;
      body.append(reinterpret_cast<const char*>(&f), 4);
    }
    return Npy("<f4", absl::StrCat("(", rows, ", ", h * w, ")"), body);
  }
  std::string NpyY() const {
    std::string body;
    for (int r = 0; r < rows; ++r) {
      int64_t v = Label(r);
      body.append(reinterpret_cast<const char*>(&v), 8);
    }
    return Npy("<i8", absl::StrCat("(", rows, ",)"), body);
  }
  static std::string Npy(const std::string& dtype, const std::string& shape,
                         const std::string& body) {
    std::string header = absl::StrCat("{'descr': '", dtype,
                                      "', 'fortran_order': False, 'shape': ",
                                      shape, ", }");
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out.push_back(1);
    out.push_back(0);
    out.push_back(static_cast<char>(header.size() & 0xff));
    out.push_back(static_cast<char>(header.size() >> 8));
    return out + header + body;
  }
};

// How to (mis)behave while uploading.
struct UploadPlan {
  size_t chunk_bytes = 97;  // deliberately odd
  int64_t declared_extra = 0;  // added to header.features_bytes
  bool send_trailer = true;
  uint32_t crc_xor = 0;  // corrupts trailer.features_crc32
};

inline v1::UploadHeader Header(const std::string& name, v1::DataFormat format,
                               const std::string& features,
                               const std::string& labels) {
  v1::UploadHeader header;
  header.set_name(name);
  header.set_format(format);
  header.set_features_bytes(static_cast<int64_t>(features.size()));
  header.set_labels_bytes(static_cast<int64_t>(labels.size()));
  return header;
}

inline absl::StatusOr<v1::Dataset> Upload(v1::Profundo::Stub* stub,
                                          v1::UploadHeader header,
                                          const std::string& features,
                                          const std::string& labels,
                                          const UploadPlan& plan = {}) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::Dataset response;
  auto writer = stub->UploadDataset(&context, &response);
  header.set_features_bytes(header.features_bytes() + plan.declared_extra);
  v1::UploadDatasetRequest message;
  *message.mutable_header() = header;
  writer->Write(message);
  for (auto [part, bytes] : {std::pair{v1::DATASET_PART_FEATURES, &features},
                             std::pair{v1::DATASET_PART_LABELS, &labels}}) {
    for (size_t at = 0; at < bytes->size(); at += plan.chunk_bytes) {
      message.Clear();
      message.mutable_chunk()->set_part(part);
      message.mutable_chunk()->set_data(bytes->substr(at, plan.chunk_bytes));
      if (!writer->Write(message)) break;
    }
  }
  if (plan.send_trailer) {
    message.Clear();
    message.mutable_trailer()->set_features_crc32(Crc32(features) ^ plan.crc_xor);
    if (!labels.empty()) message.mutable_trailer()->set_labels_crc32(Crc32(labels));
    writer->Write(message);
  }
  writer->WritesDone();
  absl::Status status = FromGrpcStatus(writer->Finish());
  if (!status.ok()) return status;
  return response;
}

inline absl::StatusOr<v1::Dataset> UploadIdx(v1::Profundo::Stub* stub,
                                             const Synthetic& data,
                                             const std::string& name = "synthetic") {
  std::string x = data.IdxImages();
  std::string y = data.IdxLabels();
  return Upload(stub, Header(name, v1::DATA_FORMAT_IDX, x, y), x, y);
}

inline v1::ModelSpec ParseSpec(const std::string& text) {
  v1::ModelSpec spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec)) << text;
  return spec;
}

// Flatten [4, 4] -> Dense(8, relu) -> Dense(3, softmax): 163 parameters.
inline v1::ModelSpec TinySpec() {
  return ParseSpec(R"pb(
    layers { flatten { input_shape: [ 4, 4 ] } }
    layers { dense { units: 8 activation: "relu" } }
    layers { dense { units: 3 activation: "softmax" } }
    loss: "sparse_categorical_crossentropy"
    optimizer { adam {} learning_rate: 0.01 }
    metrics: "accuracy"
    preprocessing { standardize: true }
  )pb");
}

inline v1::TrainConfig Config(int epochs, int batch_size = 16) {
  v1::TrainConfig config;
  config.set_epochs(epochs);
  config.set_batch_size(batch_size);
  config.set_seed(1);
  return config;
}

// Reads the whole WatchJob stream (until the server ends it).
struct WatchResult {
  std::vector<v1::JobEvent> events;
  absl::Status status;
};

inline WatchResult WatchAll(v1::Profundo::Stub* stub, const std::string& job_id,
                            int64_t after_seq = 0, int seconds = 120) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(seconds));
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_seq(after_seq);
  auto reader = stub->WatchJob(&context, request);
  WatchResult result;
  v1::JobEvent event;
  while (reader->Read(&event)) result.events.push_back(event);
  result.status = FromGrpcStatus(reader->Finish());
  return result;
}

// Reads events until `stop` returns true for one, then cancels the watch.
template <typename Stop>
inline std::vector<v1::JobEvent> WatchUntil(v1::Profundo::Stub* stub,
                                            const std::string& job_id,
                                            Stop stop, int seconds = 120) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(seconds));
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  auto reader = stub->WatchJob(&context, request);
  std::vector<v1::JobEvent> events;
  v1::JobEvent event;
  while (reader->Read(&event)) {
    events.push_back(event);
    if (stop(event)) break;
  }
  context.TryCancel();
  reader->Finish().error_code();
  return events;
}

}  // namespace profundo::server::testing

#endif  // PROFUNDO_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
