#include "server/health_tracker.h"

#include <utility>

namespace profundo::server {

v1::HealthIssue ToProto(HealthIssue issue) {
  switch (issue) {
    case HealthIssue::kVanishingGradients:
      return v1::HEALTH_ISSUE_VANISHING_GRADIENTS;
    case HealthIssue::kExplodingGradients:
      return v1::HEALTH_ISSUE_EXPLODING_GRADIENTS;
    case HealthIssue::kDeadRelu:
      return v1::HEALTH_ISSUE_DEAD_RELU;
    case HealthIssue::kSaturation:
      return v1::HEALTH_ISSUE_SATURATION;
    case HealthIssue::kBrokenSelfNormalization:
      return v1::HEALTH_ISSUE_BROKEN_SELF_NORMALIZATION;
  }
  return v1::HEALTH_ISSUE_UNSPECIFIED;
}

v1::HealthReport ToProto(const HealthReport& report) {
  v1::HealthReport out;
  out.set_epoch(report.epoch);
  out.set_step(report.step);
  out.set_loss(report.loss);
  out.set_learning_rate(report.learning_rate);
  for (const LayerHealth& h : report.layers) {
    v1::LayerHealth* l = out.add_layers();
    l->set_name(h.name);
    l->set_type(h.type);
    l->set_activation(ActivationName(h.activation));
    l->set_has_kernel(h.has_kernel);
    l->set_grad_norm(h.grad_norm);
    l->set_weight_norm(h.weight_norm);
    l->set_update_ratio(h.update_ratio);
    l->set_activation_mean(h.act_mean);
    l->set_activation_std(h.act_std);
    if (h.dead_fraction) l->set_dead_fraction(*h.dead_fraction);
    if (h.saturated_fraction) l->set_saturated_fraction(*h.saturated_fraction);
  }
  return out;
}

HealthTracker::HealthTracker(const v1::JobHealth& recorded) {
  for (const v1::HealthWarning& w : recorded.warnings()) {
    active_[w.issue()] = w.layer();
  }
}

std::vector<v1::JobEvent> HealthTracker::OnReport(const HealthReport& report,
                                                  v1::JobHealth* health) {
  std::vector<v1::JobEvent> events(1);
  *events[0].mutable_health() = ToProto(report);
  *health->mutable_latest() = events[0].health();
  health->clear_warnings();
  std::map<v1::HealthIssue, std::string> seen;
  for (const HealthWarning& w : Diagnose(report)) {
    v1::HealthWarning* out = health->add_warnings();
    out->set_issue(ToProto(w.issue));
    out->set_layer(w.layer);
    out->set_message(w.message);
    out->set_step(report.step);
    seen[out->issue()] = w.layer;
    auto it = active_.find(out->issue());
    if (it == active_.end() || it->second != w.layer) {
      events.emplace_back();
      *events.back().mutable_warning() = *out;
    }
  }
  for (const auto& [issue, layer] : active_) {
    if (seen.count(issue) > 0) continue;
    events.emplace_back();
    v1::HealthWarning* gone = events.back().mutable_warning();
    gone->set_issue(issue);
    gone->set_layer(layer);
    gone->set_step(report.step);
    gone->set_resolved(true);
  }
  active_ = std::move(seen);
  return events;
}

}  // namespace profundo::server
