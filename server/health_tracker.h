// HealthTracker: turns a training job's per-layer health reports
// (engine/health/layer_health.h) into the job's events and its Job.health.
// Each report becomes a JobEvent.health; its diagnosis (engine/health/
// diagnosis.h) becomes JobEvent.warning only when an issue appears or moves
// to another layer, and once more with resolved = true when it is gone, so
// a lasting problem is said once, not at every report.
//
// One per TrainingRun, used on the run's thread; not thread-safe.
//
// Example:
//   HealthTracker tracker(job.health());  // a resumed job's warnings count
//   for (v1::JobEvent& e : tracker.OnReport(report, job.mutable_health()))
//     Record(&e);
#ifndef PROFUNDO_SERVER_HEALTH_TRACKER_H_
#define PROFUNDO_SERVER_HEALTH_TRACKER_H_

#include <map>
#include <string>
#include <vector>

#include "engine/health/diagnosis.h"
#include "engine/health/layer_health.h"
#include "profundo/v1/service.pb.h"

namespace profundo::server {

class HealthTracker {
 public:
  // `recorded`: the job's health so far (its warnings are already said).
  explicit HealthTracker(const v1::JobHealth& recorded);
  HealthTracker(const HealthTracker&) = delete;
  HealthTracker& operator=(const HealthTracker&) = delete;

  // Sets `health` to the report and its current warnings and returns the
  // events to record, in order: the report, then the new, moved and
  // resolved warnings (in HealthIssue order). Events carry no seq or time.
  std::vector<v1::JobEvent> OnReport(const HealthReport& report,
                                     v1::JobHealth* health);

 private:
  std::map<v1::HealthIssue, std::string> active_;  // issue -> its layer
};

v1::HealthReport ToProto(const HealthReport& report);
v1::HealthIssue ToProto(HealthIssue issue);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_HEALTH_TRACKER_H_
