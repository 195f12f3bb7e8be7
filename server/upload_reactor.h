// UploadReactor: the UploadDataset stream. Feeds each message to an
// UploadAssembler; when the client closes its side, hands the assembled
// parts to DatasetManager::Create and finishes with the new dataset. The
// first error finishes the call at once (the rest of the stream is not
// read). A call the client cancelled, or whose deadline passed, stores
// nothing: the reads end, and Create is skipped or undone (CANCELLED).
//
// gRPC owns the reactor: it deletes itself in OnDone. Reactions run one at a
// time (one read outstanding), so it needs no lock. They may run on
// different gRPC threads, ordered by gRPC's own synchronization, which
// ThreadSanitizer cannot see (Debian's gRPC is not instrumented): the
// reactor names that order with TsanRelease/TsanAcquire
// (server/tsan_annotations.h; nothing outside a TSan build). Create (parse
// and fsync) runs on the gRPC callback thread of the last read.
#ifndef PROFUNDO_SERVER_UPLOAD_REACTOR_H_
#define PROFUNDO_SERVER_UPLOAD_REACTOR_H_

#include <cstdint>

#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "profundo/v1/service.pb.h"
#include "server/dataset_manager.h"
#include "server/upload_assembler.h"

namespace profundo::server {

class UploadReactor final
    : public grpc::ServerReadReactor<v1::UploadDatasetRequest> {
 public:
  // Starts reading. `datasets` must outlive the call; `context` and
  // `response` are gRPC's.
  UploadReactor(grpc::CallbackServerContext* context, DatasetManager* datasets,
                int64_t max_upload_bytes, v1::Dataset* response);

  void OnReadDone(bool ok) override;
  void OnDone() override;

 private:
  grpc::CallbackServerContext* const context_;
  DatasetManager* const datasets_;
  v1::Dataset* const response_;
  UploadAssembler assembler_;
  v1::UploadDatasetRequest request_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_UPLOAD_REACTOR_H_
