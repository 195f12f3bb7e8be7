#include "server/watch_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/ids.h"
#include "server/status_mapping.h"
#include "server/tsan_annotations.h"

namespace profundo::server {
namespace {

constexpr int kEventsPerFetch = 64;

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

bool EndsJob(const v1::JobEvent& event) {
  return event.has_state_change() && IsTerminal(event.state_change().state());
}

}  // namespace

WatchReactor::WatchReactor(Catalog* catalog, JobEventHub* hub,
                           const v1::WatchJobRequest& request)
    : catalog_(catalog),
      hub_(hub),
      job_id_(request.job_id()),
      shared_(std::make_shared<Shared>()),
      last_seq_(request.after_seq()) {
  // The reactions may run on other gRPC threads (the rest is published
  // through shared_->mu); see server/tsan_annotations.h.
  TsanRelease(this);
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->reactor = this;
  absl::Status found = ValidateClientId(job_id_, "job_id");
  if (found.ok()) found = catalog_->GetJob(job_id_).status();
  if (request.after_seq() < 0) {
    FinishLocked(absl::InvalidArgumentError("after_seq must be >= 0"));
  } else if (absl::IsNotFound(found)) {
    FinishLocked(absl::NotFoundError(
        absl::StrCat("job_id: job \"", job_id_, "\" not found")));
  } else if (!found.ok()) {
    FinishLocked(found);
  } else {
    PumpLocked();
  }
}

void WatchReactor::PumpLocked() {
  if (finished_ || writing_) return;
  if (pending_.empty()) {
    // Subscribe before reading, so an event stored after the read still
    // wakes us (a spurious wake-up only re-reads).
    if (subscription_ == 0) {
      std::shared_ptr<Shared> shared = shared_;
      subscription_ = hub_->Subscribe(job_id_, [shared] {
        std::lock_guard<std::mutex> lock(shared->mu);
        if (shared->reactor == nullptr) return;
        shared->reactor->subscription_ = 0;
        shared->reactor->PumpLocked();
      });
    }
    absl::StatusOr<std::vector<v1::JobEvent>> events =
        catalog_->ListJobEvents(job_id_, last_seq_, kEventsPerFetch);
    if (!events.ok()) return FinishLocked(events.status());
    for (v1::JobEvent& e : *events) pending_.push_back(std::move(e));
  }
  if (pending_.empty()) {
    absl::StatusOr<JobRecord> job = catalog_->GetJob(job_id_);
    if (!job.ok()) return FinishLocked(job.status());
    // Watching after the job's last event: nothing more will come.
    if (IsTerminal(job->job.state())) return FinishLocked(absl::OkStatus());
    if (hub_->closed()) {
      return FinishLocked(absl::UnavailableError(absl::StrCat(
          "the server is shutting down; watch again with after_seq=",
          last_seq_)));
    }
    return;  // the hub listener pumps again
  }
  writing_ = true;
  StartWrite(&pending_.front());
}

void WatchReactor::OnWriteDone(bool ok) {
  TsanAcquire(this);
  std::lock_guard<std::mutex> lock(shared_->mu);
  writing_ = false;
  if (!ok) return FinishLocked(absl::CancelledError("the stream broke"));
  const v1::JobEvent event = std::move(pending_.front());
  pending_.pop_front();
  last_seq_ = event.seq();
  if (EndsJob(event)) return FinishLocked(absl::OkStatus());
  PumpLocked();
}

void WatchReactor::OnCancel() {
  TsanAcquire(this);
  std::lock_guard<std::mutex> lock(shared_->mu);
  FinishLocked(absl::CancelledError("the client cancelled the watch"));
}

void WatchReactor::FinishLocked(const absl::Status& status) {
  if (finished_) return;
  finished_ = true;
  if (subscription_ != 0) {
    hub_->Unsubscribe(subscription_);
    subscription_ = 0;
  }
  Finish(ToGrpcStatus(status));
}

void WatchReactor::OnDone() {
  TsanAcquire(this);
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->reactor = nullptr;
    if (subscription_ != 0) hub_->Unsubscribe(subscription_);
  }
  delete this;
}

}  // namespace profundo::server
